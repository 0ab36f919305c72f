"""The verdict on one check-in attempt: accepted, flagged or refused, and why. Pure.

Every independent check runs, so the reply names every problem at once. Reason codes
are the API's contract; messages come in Indonesian and English.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from foundation.config import Config, Office

from . import geofence
from .bands import minutes_after
from .calendar import WorkCalendar, locate

# Refusals: the check-in does not count. Flags: it counts, and is marked for review.
REFUSALS = ("mock_location", "poor_accuracy", "outside_geofence", "face_mismatch", "liveness_failed",
            "web_not_allowed", "device_shared", "outside_window", "not_work_day", "offline_too_old", "unknown_session")
FLAGS = ("clock_skew", "late_upload")
# offline_upload: sent late, as a phone without signal does; told apart from late_upload (below)
INFO = ("late", "early_leave", "offline_upload")
# one phone, one account: the words for a check-in (or an event scan) of the later account on a phone
DEVICE_SHARED = ("Ponsel ini juga terikat pada akun pegawai lain; satu ponsel hanya untuk satu akun. Hubungi BKPP",
                 "This phone is also bound to another employee's account; one phone, one account. Contact BKPP")
REVIEW = ("mock_location", "clock_skew", "late_upload", "face_mismatch", "liveness_failed")


@dataclass(frozen=True)
class Attempt:
    source: str                      # mobile, terminal, qr, manual
    captured_at: dt.datetime         # aware
    received_at: dt.datetime         # aware: server time at arrival
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    mock: bool = False
    offline: bool = False
    session: str | None = None       # the app may name it; otherwise the windows decide
    face_score: float | None = None
    liveness: bool | None = None
    device_shared: bool = False      # the phone is bound to another account first (one phone, one account)
    provider: str | None = None      # "web" from the employee's web page; gps, fused, ... from the app
    offline_since: dt.datetime | None = None    # the phone's word: when it lost the network (offline only)
    last_contact_at: dt.datetime | None = None  # the server's word: this phone's last request before this one


@dataclass(frozen=True)
class Person:
    schedule_code: str
    offices: tuple[Office, ...]      # the offices this employee may use
    zone: ZoneInfo                   # the zone of the employee's own office
    web_allowed: bool = True         # config rules.web: may check in from the web page


@dataclass
class Verdict:
    verdict: str
    reasons: list[str]
    session: str | None
    work_date: dt.date
    minutes_late: int | None = None
    minutes_early: int | None = None
    office_code: str | None = None
    office_name: str | None = None
    distance_m: float | None = None
    limit_m: float | None = None
    message_id: str = ""
    message_en: str = ""
    messages: list[dict] = field(default_factory=list)

    @property
    def counts(self) -> bool:
        return self.verdict != "refused"

    def as_dict(self) -> dict:
        # shallow: dataclasses.asdict deep-copies, a measurable cost on every check-in
        d = dict(self.__dict__, reasons=list(self.reasons), messages=[dict(m) for m in self.messages])
        d["work_date"] = self.work_date.isoformat()
        return d


def judge(config: Config, calendar: WorkCalendar, person: Person, attempt: Attempt,
          check_geofence: bool = True, zone: ZoneInfo | None = None) -> Verdict:
    rules = config.rules
    zone = zone or person.zone
    notes: list[tuple[str, str, str]] = []  # (code, id, en)

    notes.extend(clock_notes(rules.clock, attempt))

    office, distance, limit = None, None, None
    if attempt.device_shared:
        notes.append(("device_shared", *DEVICE_SHARED))
    if attempt.mock:
        notes.append(("mock_location", "Lokasi palsu (mock location) terdeteksi", "Mock location detected"))
    if attempt.provider == "web" and not person.web_allowed:
        notes.append(("web_not_allowed", "Presensi lewat browser tidak diizinkan untuk unit Anda; gunakan aplikasi "
                      "atau mesin presensi", "Check-in from the browser is not allowed for your unit; use the app "
                      "or a terminal"))
    if check_geofence:
        max_acc = rules.geofence.max_accuracy_m
        if attempt.accuracy_m is not None and attempt.accuracy_m > max_acc:
            notes.append(("poor_accuracy",
                          f"Akurasi GPS buruk: {attempt.accuracy_m:.0f} m (maks. {max_acc:.0f} m); coba lagi di tempat terbuka",
                          f"Poor GPS accuracy: {attempt.accuracy_m:.0f} m (max {max_acc:.0f} m); try again in the open"))
        fence = geofence.check(attempt.lat, attempt.lon, person.offices, rules.geofence.default_radius_m)
        office, distance, limit = fence.office, fence.distance_m, fence.limit_m
        if not fence.inside:
            if office is None:
                notes.append(("outside_geofence", "Tidak ada kantor yang terdaftar untuk Anda",
                              "No office is registered for you"))
            else:
                limit_id = f"maks. {limit:.0f} m" if limit else "di luar batas area"
                limit_en = f"max {limit:.0f} m" if limit else "outside the area boundary"
                notes.append(("outside_geofence",
                              f"Di luar radius kantor: {distance:.0f} m dari {office.name} ({limit_id})",
                              f"Outside the office radius: {distance:.0f} m from {office.name} ({limit_en})"))

    face_min = rules.face.min_score
    if attempt.face_score is not None and attempt.face_score < face_min:
        notes.append(("face_mismatch", f"Wajah tidak cocok (skor {attempt.face_score:.2f}, min. {face_min:.2f})",
                      f"Face does not match (score {attempt.face_score:.2f}, min {face_min:.2f})"))
    if attempt.liveness is False and rules.face.require_liveness:
        notes.append(("liveness_failed", "Uji keaslian wajah (liveness) gagal", "Face liveness check failed"))

    plan, session = locate(calendar, person.schedule_code, attempt.captured_at, zone)
    local = attempt.captured_at.astimezone(zone)
    if attempt.session is not None and attempt.session != session:
        wanted = plan.windows.get(attempt.session) if plan else None
        if plan is not None and wanted and wanted[0] <= local < wanted[1]:
            session = attempt.session
        elif plan is not None and attempt.session not in plan.windows:
            notes.append(("unknown_session", f"Sesi '{attempt.session}' tidak ada pada jadwal hari ini",
                          f"Session '{attempt.session}' is not in today's schedule"))
            session = None
        else:
            session = None
    if session is None and plan is None:
        holiday = calendar.holiday(local.date())
        what_id = f"hari libur ({holiday})" if holiday else "bukan hari kerja"
        what_en = f"a holiday ({holiday})" if holiday else "not a work day"
        notes.append(("not_work_day", f"Hari ini {what_id} menurut jadwal Anda",
                      f"Today is {what_en} in your schedule"))
    elif session is None and not any(c == "unknown_session" for c, _, _ in notes):
        windows = plan.describe_windows()
        notes.append(("outside_window", f"Di luar jendela waktu presensi ({windows})",
                      f"Outside the check-in windows ({windows})"))

    minutes_late = minutes_early = None
    if session == "in":
        minutes_late = minutes_after(local, plan.start)
        if minutes_late:
            notes.append(("late", f"Terlambat {minutes_late} menit", f"{minutes_late} min late"))
    elif session == "out":
        minutes_early = minutes_after(plan.end, local)
        if minutes_early:
            notes.append(("early_leave", f"Pulang {minutes_early} menit sebelum waktunya",
                          f"Leaving {minutes_early} min early"))

    codes = [c for c, _, _ in notes]
    if any(c in REFUSALS for c in codes):
        verdict = "refused"
    elif any(c in FLAGS for c in codes):
        verdict = "flagged"
    else:
        verdict = "accepted"
    work_date = plan.work_date if plan is not None else local.date()
    head_id, head_en = _headline(verdict, session, local, zone)
    detail = [(i, e) for c, i, e in notes if verdict != "accepted" or c in INFO]
    return Verdict(
        verdict=verdict, reasons=codes, session=session, work_date=work_date,
        minutes_late=minutes_late, minutes_early=minutes_early,
        office_code=office.code if office else None, office_name=office.name if office else None,
        distance_m=distance, limit_m=limit,
        message_id=". ".join([head_id] + [i for i, _ in detail]),
        message_en=". ".join([head_en] + [e for _, e in detail]),
        messages=[{"code": c, "id": i, "en": e} for c, i, e in notes],
    )


def clock_notes(clock, attempt: Attempt) -> list[tuple[str, str, str]]:
    """The phone's time against the server's. Within `max_skew_minutes` it is trusted. Later
    than that, an offline upload is honest (`offline_upload`, information only) when it
    came within `offline_honest_minutes`, or later with the phone's own record of losing the
    network before the capture; it is suspect (`late_upload`, review) when the phone talked
    to the server after the capture but did not send it then (the server's evidence, which
    no app can forge), or when it is hours late with no offline evidence. A late capture not
    sent as offline, or one from the future, is `clock_skew`."""
    lag = (attempt.received_at - attempt.captured_at).total_seconds()
    skew_s = clock.max_skew_minutes * 60
    if lag < -skew_s:
        return [("clock_skew", f"Jam ponsel {-lag / 60:.0f} menit di depan jam server",
                 f"Phone clock is {-lag / 60:.0f} min ahead of the server")]
    if lag <= skew_s:
        return []
    late_id, late_en = _duration(lag)
    if not attempt.offline:
        return [("clock_skew", f"Waktu presensi {late_id} sebelum diterima, tanpa tanda offline",
                 f"Captured {late_en} before it arrived, not marked offline")]
    if lag > clock.offline_max_hours * 3600:
        h = clock.offline_max_hours
        return [("offline_too_old", f"Unggahan offline lebih dari {h:g} jam setelah presensi",
                 f"Offline upload more than {h:g} h after capture")]
    contact = attempt.last_contact_at
    grace = dt.timedelta(minutes=clock.contact_grace_minutes)
    if contact is not None and attempt.captured_at + dt.timedelta(seconds=skew_s) < contact < attempt.received_at - grace:
        return [("late_upload", f"Ponsel terhubung ke server {_hhmm(contact, attempt)} tetapi presensi ini baru "
                 f"dikirim {late_id} setelah diambil", f"The phone reached the server at {_hhmm(contact, attempt)} "
                 f"but sent this check-in only {late_en} after capture")]
    since = attempt.offline_since
    # the send right after the capture is often what finds the network gone: allow the skew
    lost_before = since is not None and since <= attempt.captured_at + dt.timedelta(seconds=skew_s)
    if lag <= clock.offline_honest_minutes * 60 or lost_before:
        return [("offline_upload", f"Dikirim {late_id} kemudian karena offline", f"Sent {late_en} later, offline")]
    return [("late_upload", f"Presensi offline diunggah {late_id} kemudian tanpa bukti offline",
             f"Offline check-in uploaded {late_en} later with no evidence of being offline")]


def _duration(seconds: float) -> tuple[str, str]:
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} menit", f"{minutes} min"
    return f"{minutes / 60:.1f} jam".replace(".", ","), f"{minutes / 60:.1f} h"


def _hhmm(moment: dt.datetime, attempt: Attempt) -> str:
    return f"{moment.astimezone(attempt.captured_at.tzinfo):%H:%M}"


SESSION_NAMES = {"in": ("masuk", "check-in"), "midday": ("siang", "midday"), "out": ("pulang", "check-out")}


def _headline(verdict: str, session: str | None, local: dt.datetime, zone: ZoneInfo) -> tuple[str, str]:
    from foundation.config import zone_label

    when = f"{local:%H:%M} {zone_label(zone.key)}"
    sid, sen = SESSION_NAMES.get(session, ("", ""))
    if verdict == "refused":
        return "Presensi ditolak", "Check-in refused"
    if verdict == "flagged":
        return f"Presensi {sid} diterima dengan catatan ({when})", f"{sen.capitalize()} accepted, flagged for review ({when})"
    return f"Presensi {sid} diterima ({when})", f"{sen.capitalize()} accepted ({when})"
