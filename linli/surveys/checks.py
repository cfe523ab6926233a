"""What `linli check` verifies for surveys (SurveysConfig.operator_checks): the running counts behind the
results equal a recount of the answers."""

from __future__ import annotations

from collections.abc import Iterator


def tally_checks() -> Iterator[tuple[bool, str]]:
    from linli.surveys import tallies
    from linli.surveys.models import Survey

    surveys = list(Survey.objects.filter(response_count__gt=0).order_by("pk").values_list("pk", "title"))
    wrong = []
    for pk, title in surveys:
        found = tallies.mismatches(pk)
        if found:
            wrong.append(f"{pk} {title} ({len(found)} cells, e.g. {found[0]})")
    if wrong:
        yield (
            False,
            "survey results: the running counts differ from a recount of the answers in "
            + "; ".join(wrong)
            + " — run `linli survey recount ID`",
        )
    else:
        yield True, f"survey results: running counts equal a recount of the answers ({len(surveys)} surveys)"
