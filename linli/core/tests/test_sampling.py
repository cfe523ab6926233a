from __future__ import annotations

from collections import Counter

import pytest

from linli.core.sampling import draw, new_seed


def frame():
    return [(f"r{i}", f"G{i % 4}") for i in range(200)] + [(f"x{i}", "G9") for i in range(8)]


def test_the_same_frame_and_seed_give_the_same_order_whatever_the_input_order():
    a = draw(frame(), "abc123", 30)
    b = draw(list(reversed(frame())), "abc123", 30)
    assert [d.unit for d in a] == [d.unit for d in b]
    assert [d.unit for d in draw(frame(), "abc124", 30)] != [d.unit for d in a]


def test_the_sample_is_stratified_and_the_rest_are_replacements_in_order():
    order = draw(frame(), new_seed(), 52)
    assert len(order) == 208
    assert [d.rank for d in order] == list(range(1, 209))
    sample = [d for d in order if d.in_sample]
    assert len(sample) == 52
    assert all(d.in_sample for d in order[:52])
    per = Counter(d.stratum for d in sample)
    assert per["G9"] == 2  # 8/208 of 52
    assert all(per[f"G{i}"] in (12, 13) for i in range(4))
    assert len({d.unit for d in order}) == 208


def test_a_frame_smaller_than_the_size_is_taken_whole_and_duplicates_count_once():
    order = draw([("a", "x"), ("b", "y"), ("a", "x")], "s", 30)
    assert sorted(str(d.unit) for d in order) == ["a", "b"]
    assert all(d.in_sample for d in order)
    with pytest.raises(ValueError, match="size"):
        draw([], "s", -1)
