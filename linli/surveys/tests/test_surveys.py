"""Surveys: building, sampling with a published seed, the lifecycle, answers from every channel (and the
bad ones refused with nothing written), idempotent offline uploads, results and the Excel export."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from linli.core.errors import DomainError, Forbidden
from linli.core.models import AuditEntry
from linli.registry.models import Building, House, Household, Resident, Tag, TagGroup
from linli.registry.services import resident_create
from linli.surveys import selectors, services
from linli.surveys.export import export_results
from linli.surveys.models import Answer, Kind, Response, Status, Target
from linli.surveys.services import QuestionInput
from tests.factories import World, make_id_number


def _tag() -> Tag:
    group, _ = TagGroup.objects.get_or_create(code="care", defaults={"name": "关爱服务对象"})
    return Tag.objects.get_or_create(code="elderly_alone", defaults={"name": "独居老人", "group": group})[0]


def _households(world: World, n: int = 12) -> list[Household]:
    out = []
    seq = iter(range(1, 500))
    for g, grid in enumerate([world.c01_g01, world.c01_g02]):
        building = Building.objects.create(grid=grid, number=str(g + 1))
        for i in range(n // 2):
            house = House.objects.create(building=building, room_number=f"{i + 1:02d}01")
            hh = Household.objects.create(house=house)
            person = resident_create(
                actor=None,
                grid=grid,
                name=f"居民{g}{i}",
                id_number=make_id_number("19600101", next(seq)),
                house=house,
                household=hh,
                tags=[_tag()] if i % 2 == 0 else [],
            )
            hh.head = person
            hh.save()
            out.append(hh)
    return out


def _build(world: World, **kwargs: Any):
    survey = services.survey_create(
        actor=world.c01_worker, area=world.c01, title="社区环境满意度调查", **kwargs
    )
    q1 = services.question_add(
        actor=world.c01_worker,
        survey=survey,
        data=QuestionInput(kind=Kind.SINGLE, text="您是否养宠物？", required=True, options=["是", "否"]),
    )
    q2 = services.question_add(
        actor=world.c01_worker,
        survey=survey,
        data=QuestionInput(
            kind=Kind.TEXT,
            text="宠物管理有何建议？",
            required=True,
            condition_question=q1,
            condition_value="是",
        ),
    )
    q3 = services.question_add(
        actor=world.c01_worker,
        survey=survey,
        data=QuestionInput(kind=Kind.RATING, text="对环境卫生打分", required=True, max_value=5),
    )
    q4 = services.question_add(
        actor=world.c01_worker,
        survey=survey,
        data=QuestionInput(kind=Kind.NUMBER, text="家中几口人", min_value=1, max_value=20),
    )
    q5 = services.question_add(
        actor=world.c01_worker,
        survey=survey,
        data=QuestionInput(
            kind=Kind.MULTIPLE, text="希望增加的设施", options=["健身器材", "停车位", "充电桩"]
        ),
    )
    q6 = services.question_add(
        actor=world.c01_worker,
        survey=survey,
        data=QuestionInput(
            kind=Kind.MATRIX, text="各项服务评价", options=["满意", "一般", "不满意"], rows=["保洁", "绿化"]
        ),
    )
    q7 = services.question_add(
        actor=world.c01_worker, survey=survey, data=QuestionInput(kind=Kind.DATE, text="入住日期")
    )
    return survey, [q1, q2, q3, q4, q5, q6, q7]


def _fields(qs, *, pet: Any = "否", rating: Any = "4", **extra: Any) -> dict[str, list[str]]:
    q1, q2, q3, q4, q5, q6, q7 = qs
    out = {
        f"q{q1.pk}": [pet],
        f"q{q3.pk}": [rating],
        f"q{q5.pk}": ["停车位", "充电桩"],
        f"q{q6.pk}_0": ["满意"],
    }
    if pet == "是":
        out[f"q{q2.pk}"] = ['=HYPERLINK("http://x")  要拴绳']
    out.update(extra)
    return out


@pytest.fixture
def area_survey(world):
    survey, qs = _build(world, open_link=True)
    services.survey_open(actor=world.c01_worker, survey=survey)
    survey.refresh_from_db()
    return survey, qs


def test_the_lifecycle_draft_open_closed_reopened_with_a_reason(world, area_survey):
    survey, qs = area_survey
    with pytest.raises(DomainError, match="已发布"):
        services.question_add(
            actor=world.c01_worker, survey=survey, data=QuestionInput(kind=Kind.TEXT, text="再加一题")
        )
    services.survey_close(actor=world.c01_worker, survey=survey)
    with pytest.raises(DomainError, match="原因"):
        services.survey_reopen(actor=world.c01_worker, survey=survey, reason=" ")
    services.survey_reopen(actor=world.c01_worker, survey=survey, reason="延长一周收集")
    survey.refresh_from_db()
    assert survey.status == Status.OPEN
    assert [e.to_status for e in survey.events.all()] == ["draft", "open", "closed", "open"]
    assert survey.events.last().note == "延长一周收集"


def test_a_copy_is_a_draft_with_the_questions_and_conditions_remapped(world, area_survey):
    survey, qs = area_survey
    copy = services.survey_copy(actor=world.c01_worker, survey=survey)
    assert copy.status == Status.DRAFT
    assert copy.pk != survey.pk
    copied = list(copy.questions.all())
    assert [q.text for q in copied] == [q.text for q in qs]
    assert copied[1].condition_question_id == copied[0].pk
    assert copy.response_count == 0


def test_only_staff_who_run_surveys_build_them(world):
    with pytest.raises(Forbidden):
        services.survey_create(actor=world.grid_worker_c01_g01, area=world.c01_g01, title="网格员不能建问卷")


def test_a_condition_must_point_to_an_earlier_choice_with_one_of_its_options(world):
    survey, qs = _build(world)
    with pytest.raises(DomainError, match="选项"):
        services.question_add(
            actor=world.c01_worker,
            survey=survey,
            data=QuestionInput(kind=Kind.TEXT, text="x", condition_question=qs[0], condition_value="也许"),
        )


def test_a_door_to_door_answer_is_stored_with_its_grid_and_the_hidden_question_ignored(world, area_survey):
    survey, qs = area_survey
    fields = _fields(qs, pet="否", **{f"q{qs[1].pk}": ["不该保存"]})
    response = services.response_submit(
        actor=world.grid_worker_c01_g01, survey=survey, fields=fields, channel="door", grid=world.c01_g01
    )
    assert response.grid == world.c01_g01
    assert not Answer.objects.filter(response=response, question=qs[1]).exists()
    assert Answer.objects.filter(response=response, question=qs[4]).count() == 2
    assert AuditEntry.objects.filter(object_type="surveys.response", object_id=str(response.pk)).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pet": "是"}, None),  # q2 becomes visible and required; filled by _fields → fine
        ({"rating": "6"}, "评分"),
        ({"rating": "3.5"}, "评分"),
        ({"rating": ""}, "必答"),
        ({"pet": "也许"}, "不是它的选项"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(world, area_survey, change, message):
    survey, qs = area_survey
    fields = _fields(qs, **change)
    if message is None:
        services.response_submit(
            actor=world.c01_worker, survey=survey, fields=fields, channel="door", grid=world.c01_g01
        )
        return
    with pytest.raises(DomainError, match=message):
        services.response_submit(
            actor=world.c01_worker, survey=survey, fields=fields, channel="door", grid=world.c01_g01
        )
    assert Response.objects.count() == 0
    assert Answer.objects.count() == 0


def test_a_number_out_of_range_and_a_required_conditional_answer_missing_are_refused(world, area_survey):
    survey, qs = area_survey
    with pytest.raises(DomainError, match="不能大于 20"):
        services.response_submit(
            actor=None,
            survey=survey,
            fields=_fields(qs, **{f"q{qs[3].pk}": ["99"]}),
            channel="open_link",
            client="a",
        )
    fields = _fields(qs, pet="是")
    del fields[f"q{qs[1].pk}"]
    with pytest.raises(DomainError, match="第 2 题"):
        services.response_submit(actor=None, survey=survey, fields=fields, channel="open_link", client="a")
    assert Response.objects.count() == 0


def test_a_closed_survey_takes_no_answers(world, area_survey):
    survey, qs = area_survey
    services.survey_close(actor=world.c01_worker, survey=survey)
    with pytest.raises(DomainError, match="已结束"):
        services.response_submit(
            actor=None, survey=survey, fields=_fields(qs), channel="open_link", client="x"
        )
    assert Response.objects.count() == 0


def test_the_open_link_refuses_a_second_answer_from_the_same_browser(world, area_survey):
    survey, qs = area_survey
    client = Client()
    url = f"/surveys/open/{survey.link_key}/"
    assert client.get(url).status_code == 200
    data = _fields(qs)
    assert client.post(url, data).status_code == 200
    again = client.post(url, data)
    assert again.status_code == 400
    assert "已经提交过" in again.content.decode()
    assert Response.objects.count() == 1
    assert "您已经提交过本问卷" in client.get(url).content.decode()
    assert "您已经提交过本问卷" not in Client().get(url).content.decode()


def test_an_upload_retried_is_counted_once_and_a_bad_item_does_not_hold_back_the_others(world, area_survey):
    survey, qs = area_survey
    client = Client()
    client.force_login(world.grid_worker_c01_g01)
    good = {
        "uuid": str(uuid.uuid4()),
        "grid": world.c01_g01.pk,
        "fields": _fields(qs),
        "submitted_at": "2026-12-01T09:00:00Z",
    }
    bad = {"uuid": str(uuid.uuid4()), "grid": world.c01_g01.pk, "fields": _fields(qs, rating="9")}
    other_grid = {"uuid": str(uuid.uuid4()), "grid": world.c01_g02.pk, "fields": _fields(qs)}
    url = f"/surveys/{survey.pk}/door/upload/"
    first = client.post(
        url, json.dumps({"items": [good, bad, other_grid]}), content_type="application/json"
    ).json()
    assert [r["status"] for r in first["results"]] == ["saved", "refused", "refused"]
    second = client.post(url, json.dumps({"items": [good]}), content_type="application/json").json()
    assert second["results"][0]["status"] == "duplicate"
    assert Response.objects.count() == 1
    survey.refresh_from_db()
    assert survey.response_count == 1


def _sampled(world, size: int = 4, seed: str = "abc123"):
    _households(world)
    survey, qs = _build(world, target=Target.SAMPLE, sample_size=size)
    services.survey_draw(actor=world.c01_worker, survey=survey, seed=seed)
    services.survey_open(actor=world.c01_worker, survey=survey)
    survey.refresh_from_db()
    return survey, qs


def test_the_sample_is_reproducible_from_the_published_seed_and_stratified_by_grid(world):
    survey, _ = _sampled(world, size=4, seed="abc123")
    first = list(survey.invitations.order_by("rank").values_list("household_id", "in_sample"))
    assert survey.sample_seed == "abc123"
    assert survey.frame_size == 12
    assert sum(1 for _, s in first if s) == 4
    assert len(first) == 5
    grids = set(survey.invitations.filter(in_sample=True).values_list("grid_id", flat=True))
    assert grids == {world.c01_g01.pk, world.c01_g02.pk}
    other, _ = _build(world, target=Target.SAMPLE, sample_size=4)
    services.survey_draw(actor=world.c01_worker, survey=other, seed="abc123")
    assert list(other.invitations.order_by("rank").values_list("household_id", "in_sample")) == first
    assert AuditEntry.objects.filter(object_id=str(survey.pk), changes__sample_seed__1="abc123").exists()


def test_a_token_answers_once_and_a_declined_unit_brings_in_its_replacement(world):
    survey, qs = _sampled(world)
    invitation = survey.invitations.filter(in_sample=True).first()
    client = Client()
    url = f"/surveys/answer/{invitation.token}/"
    assert client.post(url, _fields(qs)).status_code == 200
    again = Client().post(url, _fields(qs))
    assert again.status_code == 400
    assert "已经使用过" in again.content.decode()
    with pytest.raises(DomainError, match="已经使用过"):
        services.response_submit(
            actor=None, survey=survey, fields=_fields(qs), channel="invitation", token=invitation.token
        )
    assert Response.objects.count() == 1
    assert (
        Response.objects.get().tag_links.exists()
        == Resident.objects.filter(household=invitation.household, tag_links__isnull=False).exists()
    )
    waiting = survey.invitations.filter(in_sample=True, state="waiting").select_related("grid").first()
    spare = survey.invitations.filter(in_sample=False, grid=waiting.grid).first()
    replacement = services.invitation_decline(actor=world.c01_worker, invitation=waiting, note="多次敲门无人")
    assert replacement == spare or (spare is None and replacement is None)


def test_results_count_by_option_grid_and_key_group_and_the_export_has_a_tidy_raw_sheet(world):
    survey, qs = _sampled(world, size=6)
    for i, invitation in enumerate(survey.invitations.filter(in_sample=True).select_related("grid")):
        services.response_submit(
            actor=world.c01_worker,
            survey=survey,
            fields=_fields(qs, pet="是" if i % 2 else "否", rating=str(3 + i % 3)),
            channel="door",
            token=invitation.token,
        )
    result = selectors.results(survey)
    assert result.responses == 6
    pets = result.questions[0]
    assert [b.count for b in pets.bars] == [3, 3]
    assert sum(g.answered for g in pets.by_grid) == 6
    assert result.questions[2].mean == pytest.approx(4.0)
    assert result.questions[5].matrix[0][1][0].count == 6
    data = export_results(actor=world.c01_worker, survey=survey)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["概况", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "原始数据"]
    raw = list(book["原始数据"].values)
    assert len(raw) == 7
    header = raw[0]
    q2 = header.index(next(h for h in header if h.startswith("Q2")))
    assert {row[q2] for row in raw[1:]} == {"（未显示）", '=HYPERLINK("http://x")  要拴绳'}
    assert book["原始数据"].cell(row=2, column=q2 + 1).data_type == "s"  # text, never a formula
    assert AuditEntry.objects.filter(action="export", object_id=str(survey.pk)).exists()


def test_pages_and_scope(world, area_survey):
    survey, qs = area_survey
    staff = Client()
    staff.force_login(world.c01_worker)
    for url in ("/surveys/", f"/surveys/{survey.pk}/", f"/surveys/{survey.pk}/results/"):
        assert staff.get(url).status_code == 200, url
    worker = Client()
    worker.force_login(world.grid_worker_c01_g01)
    assert worker.get(f"/surveys/{survey.pk}/door/").status_code == 200
    outsider = Client()
    outsider.force_login(world.grid_worker_c02_g01)
    assert outsider.get(f"/surveys/{survey.pk}/").status_code == 404
    other = Client()
    other.force_login(world.other_street_admin)
    assert other.get(f"/surveys/{survey.pk}/results/").status_code == 404


def test_the_running_counts_equal_a_recount_after_answers_from_every_channel(world):
    """The results read counters kept with each answer sheet; `linli check` recounts and compares."""
    from linli.surveys import tallies
    from linli.surveys.checks import tally_checks
    from linli.surveys.models import Tally

    survey, qs = _sampled(world, size=6)
    for i, invitation in enumerate(survey.invitations.filter(in_sample=True).select_related("grid")):
        services.response_submit(
            actor=world.c01_worker if i % 2 else None,
            survey=survey,
            fields=_fields(
                qs, pet="是" if i % 3 else "否", rating=str(1 + i % 5), **{f"q{qs[3].pk}": [str(i + 1)]}
            ),
            channel="door" if i % 2 else "invitation",
            token=invitation.token,
        )
    assert tallies.mismatches(survey.pk) == []
    assert all(ok for ok, _ in tally_checks())
    result = selectors.results(survey, sensitive=True)
    assert result.responses == 6
    assert sum(result.by_channel.values()) == 6
    number = result.questions[3]
    assert (number.mean, number.minimum, number.maximum) == (pytest.approx(3.5), 1.0, 6.0)
    # The key-group breakdown counts the people of key groups, as the answers' tags say.
    tagged = Response.objects.filter(survey=survey, tag_links__isnull=False).distinct().count()
    assert sum(g.answered for g in result.questions[0].by_tag) == tagged
    # A counter that drifted is found, named, and rebuilt by `linli survey recount`.
    cell = Tally.objects.filter(survey=survey, tag=0).first()
    Tally.objects.filter(pk=cell.pk).update(answers=cell.answers + 1)
    ok, line = next(tally_checks())
    assert not ok
    assert survey.title in line
    assert services.survey_recount(actor=world.c01_worker, survey=survey) == 1
    assert tallies.mismatches(survey.pk) == []


def test_text_answers_are_read_a_page_at_a_time_newest_first(world, area_survey):
    survey, qs = area_survey
    for i in range(5):
        services.response_submit(
            actor=world.grid_worker_c01_g01,
            survey=survey,
            fields=_fields(qs, pet="是", **{f"q{qs[1].pk}": [f"建议{i}"]}),
            channel="door",
            grid=world.c01_g01,
        )
    first = selectors.text_page(qs[1], size=2)
    assert [t for _, t in first.items] == ["建议4", "建议3"]
    second = selectors.text_page(qs[1], before=first.next_before, size=2)
    assert [t for _, t in second.items] == ["建议2", "建议1"]
    last = selectors.text_page(qs[1], before=second.next_before, size=2)
    assert [t for _, t in last.items] == ["建议0"]
    assert last.next_before is None
    result = selectors.results(survey, texts=3)
    assert result.questions[1].texts == ["建议4", "建议3", "建议2"]
    assert result.questions[1].more_texts is not None
    staff = Client()
    staff.force_login(world.c01_worker)
    page = staff.get(f"/surveys/{survey.pk}/results/texts/{qs[1].pk}/?before={first.next_before}")
    assert page.status_code == 200
    assert "建议2" in page.content.decode()
    assert "建议4" not in page.content.decode()
