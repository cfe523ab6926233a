from __future__ import annotations

import pytest

from linli.areas.models import Area, GridAssignment
from linli.core.scoping import minimal_paths, path_in_scope, subtree_q


def test_minimal_paths_drops_children_of_listed_ancestors():
    assert minimal_paths(["S01/C01/G01", "S01/C01", "S02", "S01/C010"]) == ["S01/C01", "S01/C010", "S02"]


def test_path_in_scope_matches_whole_codes_not_prefixes_of_codes():
    assert path_in_scope("S01/C01/G01", ["S01/C01"])
    assert path_in_scope("S01/C01", ["S01/C01"])
    assert not path_in_scope("S01/C010", ["S01/C01"])


def test_subtree_query_of_no_paths_matches_nothing(world):
    assert not Area.objects.filter(subtree_q([])).exists()


def test_grid_worker_sees_only_their_grid(world):
    paths = set(Area.objects.visible_to(world.grid_worker_c01_g01).values_list("path", flat=True))
    assert paths == {"S01/C01/G01"}


def test_community_worker_sees_their_community_subtree(world):
    paths = set(Area.objects.visible_to(world.c01_worker).values_list("path", flat=True))
    assert paths == {"S01/C01", "S01/C01/G01", "S01/C01/G02"}


def test_street_admin_does_not_see_another_street(world):
    paths = set(Area.objects.visible_to(world.street_admin).values_list("path", flat=True))
    assert "S02" not in paths
    assert "S02/C01" not in paths
    assert "S01/C02/G01" in paths


def test_scope_is_the_union_of_bound_areas(world):
    from linli.accounts.models import AreaBinding

    AreaBinding.objects.create(user=world.viewer, area=world.s02_c01)
    world.viewer.forget_scope()
    paths = set(Area.objects.visible_to(world.viewer).values_list("path", flat=True))
    assert {"S01", "S01/C02/G01", "S02/C01"} <= paths
    assert "S02" not in paths


def test_inactive_and_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    world.c01_worker.is_active = False
    assert not Area.objects.visible_to(world.c01_worker).exists()
    assert not Area.objects.visible_to(AnonymousUser()).exists()


def test_scoped_lookup_through_a_relation(world):
    visible = GridAssignment.objects.visible_to(world.c01_leader)
    assert {a.grid.path for a in visible} == {"S01/C01/G01", "S01/C01/G02"}


@pytest.mark.parametrize("lookup_user", ["grid_worker_c01_g02", "grid_worker_c02_g01", "other_street_admin"])
def test_users_outside_a_grid_cannot_see_it(world, lookup_user):
    user = getattr(world, lookup_user)
    assert not Area.objects.visible_to(user).filter(pk=world.c01_g01.pk).exists()
