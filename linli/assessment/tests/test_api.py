from __future__ import annotations

from linli.assessment import services
from linli.assessment.models import EntryState, SampleEntry


def test_rounds_sample_and_results_over_the_api(aw, client_for):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=3), seed="api-seed")
    entry = SampleEntry.objects.filter(round=round_, worker=aw.worker, state=EntryState.INVITED)[0]
    services.rating_record_by_phone(actor=aw.w.c01_leader, entry=entry, grade="good")
    admin = client_for(aw.w.street_admin)
    rounds = admin.get("/api/v1/assessment-rounds").json()
    assert [r["id"] for r in rounds] == [round_.pk]
    assert rounds[0]["seed"] == "api-seed"
    sample = admin.get(f"/api/v1/assessment-rounds/{round_.pk}/sample").json()
    assert sample["seed"] == "api-seed"
    assert len([e for e in sample["entries"] if e["worker_id"] == aw.worker.pk]) == 24
    results = admin.get(f"/api/v1/assessment-rounds/{round_.pk}/results").json()
    mine = next(w for w in results["workers"] if w["worker_id"] == aw.worker.pk)
    assert mine["good"] == 1
    assert mine["valid"] == 1
    assert mine["good_share_ci_low"] is not None
    assert (
        client_for(aw.w.other_street_admin).get(f"/api/v1/assessment-rounds/{round_.pk}/results").status_code
        == 404
    )
    assert client_for(aw.worker).get("/api/v1/assessment-rounds").status_code == 403


def test_a_worker_of_an_open_round_cannot_read_its_sample_over_the_api_until_it_closes(aw, client_for):
    # The community leader holds `assess` but is under assessment in this round.
    round_ = services.round_open(
        actor=aw.w.street_admin, round=aw.new_round(workers=[aw.worker, aw.w.c01_leader], min_sample=3)
    )
    leader = client_for(aw.w.c01_leader)
    refused = leader.get(f"/api/v1/assessment-rounds/{round_.pk}/sample")
    assert refused.status_code == 403
    assert "resident_id" not in refused.content.decode()
    assert leader.get(f"/assessment/{round_.pk}/sample/").status_code == 403
    services.round_close(actor=aw.w.street_admin, round=round_)
    after = leader.get(f"/api/v1/assessment-rounds/{round_.pk}/sample").json()
    assert {e["worker_id"] for e in after["entries"]} == {aw.worker.pk}
    assert leader.get(f"/assessment/{round_.pk}/sample/").status_code == 200
