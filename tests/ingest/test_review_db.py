"""A flag must matter: pending check-ins, decisions, the work day and the recap on real Postgres."""
from __future__ import annotations

import datetime as dt

import pytest

from ingest import recap, review
from ingest.day_close import close_day
from queries import audit, db
from tests.conftest import ROOT
from tests.support.days import at, check_in, employee, skewed_check_in, work_day


@pytest.fixture(scope="module")
def rt(make_runtime):
    return make_runtime(ROOT / "config.yaml", "review")


def skewed(rt, emp, moment: dt.datetime) -> int:
    return skewed_check_in(rt, emp, moment).check_in_id


def recap_row(rt, emp, day) -> dict:
    with rt.connection() as conn:
        _, rows = recap.employee_recap(conn, rt.config, day, day, employee_id=emp["id"])
        return next(iter(rows))


def test_a_pending_check_in_makes_no_day_hadir_and_sah_makes_it_hadir_on_time(rt):
    day = dt.date(2027, 4, 5)   # a Monday
    emp = employee(rt, "DINKES")
    pending = skewed(rt, emp, at(day, "07:20"))
    assert work_day(rt, emp["id"], day) is None            # the live path wrote no hadir
    close_day(rt, day, "tester")
    row = recap_row(rt, emp, day)
    assert (work_day(rt, emp["id"], day)["status"], row["hadir"], row["tk"], row["menunggu_tinjauan"]) == \
        ("tk", 0, 1, 1)
    after = review.decide(rt, pending, "sah", "Jam ponsel salah, sudah dicek", "bkpp", role="bkpp")
    got = work_day(rt, emp["id"], day)
    # 07:20 is before the 07:30 start: on time; only the missing check-out costs (PSW4)
    assert (after["status"], got["status"], got["late_band"], got["minutes_late"], got["early_band"]) == \
        ("hadir", "hadir", None, 0, "PSW4")
    row = recap_row(rt, emp, day)
    assert (row["hadir"], row["tk"], row["menunggu_tinjauan"]) == (1, 0, 0)
    with rt.connection() as conn:
        logged = audit.entries(conn, action="review.decide", target=emp["nip"])
    assert logged[0]["before"]["status"] == "tk" and logged[0]["after"]["status"] == "hadir"
    assert logged[0]["reason"] == "Jam ponsel salah, sudah dicek"


def test_tolak_makes_the_check_in_as_if_it_never_came(rt):
    day = dt.date(2027, 4, 6)
    alone, with_out = employee(rt, "DINKES"), employee(rt, "DINKES")
    rejected = skewed(rt, alone, at(day, "07:10"))
    morning = skewed(rt, with_out, at(day, "07:05"))
    check_in(rt, with_out, at(day, "16:10"))                # an honest check-out
    close_day(rt, day, "tester")
    # pending: the day stands on the check-out alone, the missing check-in is TL4 (rules)
    assert work_day(rt, with_out["id"], day)["late_band"] == "TL4"
    review.decide(rt, morning, "tolak", "Presensi dititipkan", "bkpp", role="bkpp")
    review.decide(rt, rejected, "tolak", "Tidak di kantor", "bkpp", role="bkpp")
    assert work_day(rt, alone["id"], day)["status"] == "tk"
    kept = work_day(rt, with_out["id"], day)
    assert (kept["status"], kept["late_band"], kept["first_in"]) == ("hadir", "TL4", None)
    row = recap_row(rt, with_out, day)
    assert (row["tl4"], row["menunggu_tinjauan"], row["hadir"]) == (1, 0, 1)
    # the latest decision stands: a second look that finds it valid after all
    review.decide(rt, morning, "sah", "Bukti baru: surat keterangan", "bkpp", role="bkpp")
    assert work_day(rt, with_out["id"], day)["late_band"] is None


def test_a_flag_from_another_source_takes_a_counted_check_in_back_until_reviewed(rt):
    day = dt.date(2027, 4, 7)
    emp = employee(rt, "SETDA")
    done = check_in(rt, emp, at(day, "07:15"))
    assert done.verdict["verdict"] == "accepted" and work_day(rt, emp["id"], day)["status"] == "hadir"
    # a pattern flag alone only lowers the trust score: the day still counts
    assert review.add_flags(rt, [{"check_in_id": done.check_in_id, "source": "pattern", "kind": "selfie_reuse",
                                  "weight": 60, "evidence": {"other": 1}}]) == 1
    assert work_day(rt, emp["id"], day)["status"] == "hadir"
    # the trust flag the scan adds under rules.patterns.review_below queues it
    assert review.add_flags(rt, [{"check_in_id": done.check_in_id, "source": "trust", "kind": "low_trust",
                                  "weight": 0, "evidence": {"score": 40}}]) == 1
    assert work_day(rt, emp["id"], day)["status"] == "belum"
    items = review.queue(rt, None, today=day)
    mine = next(i for i in items if i["id"] == done.check_in_id)
    assert mine["weight"] == 60 and items.index(mine) == 0     # worst first
    review.decide(rt, done.check_in_id, "sah", "Foto berbeda setelah diperiksa", "insp", role="inspektorat")
    assert work_day(rt, emp["id"], day)["status"] == "hadir"
    assert done.check_in_id not in {i["id"] for i in review.queue(rt, None, today=day)}


def test_a_unit_head_reviews_only_their_subtree_and_a_note_is_required(rt):
    day = dt.date(2027, 4, 8)
    inside, outside = employee(rt, "PKM-CLG"), employee(rt, "SETDA")   # PKM-CLG is under DINKES
    a, b = skewed(rt, inside, at(day, "06:50")), skewed(rt, outside, at(day, "07:10"))
    seen = {i["id"] for i in review.queue(rt, rt.config.subtree("DINKES"), today=day)}
    assert a in seen and b not in seen
    assert {a, b} <= {i["id"] for i in review.queue(rt, None, today=day)}
    with pytest.raises(review.ReviewRefused) as refused:
        review.decide(rt, b, "sah", "ok", "kadinkes", role="kepala_unit", user_unit="DINKES")
    assert refused.value.status == 404
    for role in ("admin_unit", "sekda"):
        with pytest.raises(review.ReviewRefused):
            review.decide(rt, a, "sah", "ok", "x", role=role, user_unit="DINKES")
    with pytest.raises(review.ReviewRefused) as empty:
        review.decide(rt, a, "tolak", "   ", "kadinkes", role="kepala_unit", user_unit="DINKES")
    assert empty.value.code == "note_required"
    review.decide(rt, a, "tolak", "Tidak hadir", "kadinkes", role="kepala_unit", user_unit="DINKES")
    with rt.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM review_decisions WHERE check_in_id = :c", c=b) == 0


def test_past_the_deadline_config_decides(rt, make_runtime, tmp_path):
    text = (ROOT / "config.yaml").read_text().replace(
        "review: {pending_counts: false, deadline_days: 5, after_deadline: pending}",
        "review: {pending_counts: false, deadline_days: 2, after_deadline: tolak}")
    assert "after_deadline: tolak" in text
    (tmp_path / "config.yaml").write_text(text)
    strict = make_runtime(tmp_path / "config.yaml", "review-deadline")
    day = dt.date(2027, 4, 12)
    emp = employee(strict, "DINKES")
    late = skewed(strict, emp, at(day, "07:10"))
    assert review.settle_overdue(strict, day + dt.timedelta(days=2)) == 0     # still in time
    assert review.settle_overdue(strict, day + dt.timedelta(days=3)) == 1
    with strict.connection() as conn:
        decided = db.one(conn, "SELECT decision, decided_by FROM review_decisions WHERE check_in_id = :c", c=late)
    assert decided == {"decision": "tolak", "decided_by": "system:deadline"}


def test_pending_counts_true_keeps_the_old_behaviour(rt, make_runtime, tmp_path):
    text = (ROOT / "config.yaml").read_text().replace("review: {pending_counts: false", "review: {pending_counts: true")
    (tmp_path / "config.yaml").write_text(text)
    lenient = make_runtime(tmp_path / "config.yaml", "review-lenient")
    day = dt.date(2027, 4, 13)
    emp = employee(lenient, "DINKES")
    skewed(lenient, emp, at(day, "07:10"))
    got = work_day(lenient, emp["id"], day)
    assert (got["status"], got["late_band"]) == ("hadir", None)
