"""config.yaml's `rules`: lateness bands, geofence, clock, face, review, web and pattern
rules, and the PP 94/2021 sanctions for TK days, as typed, validated objects (foundation.config
holds the rest of the file)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .config_model import Model as _Model


class Band(_Model):
    code: str = Field(pattern=r"^[A-Z]+[0-9]+$")
    from_min: int = Field(ge=1)
    to_min: int | None = None  # None: no upper bound
    percent: float = Field(ge=0, le=100)


class GeofenceRules(_Model):
    default_radius_m: float = Field(default=150, gt=0)
    max_accuracy_m: float = Field(default=50, gt=0)


class ClockRules(_Model):
    max_skew_minutes: float = Field(default=5, gt=0)
    offline_max_hours: float = Field(default=72, gt=0)
    # The mobile API refuses (422) a captured_at outside [now - max_age_days, now + max_future_minutes]:
    # no phone queues a check-in for a month, and none captures one from the future.
    max_age_days: int = Field(default=30, ge=1, le=366)
    max_future_minutes: float = Field(default=10, gt=0, le=24 * 60)
    # An offline upload this late is honest (offline_upload, information only); later, it needs
    # the phone's offline_since before the capture, else it is late_upload (review).
    offline_honest_minutes: float = Field(default=60, gt=0, le=72 * 60)
    # A phone that reached the server after the capture and more than this before sending it
    # held it back: late_upload (the burst that follows a regained signal is not held back).
    contact_grace_minutes: float = Field(default=10, gt=0, le=24 * 60)


class FaceRules(_Model):
    min_score: float = Field(default=0.8, ge=0, le=1)       # the phone's own face score
    require_liveness: bool = True
    # The server's match of each selfie with the enrolled face (ingest/face_match.py): dlib's
    # distance under this is the same person (0.6 is dlib's documented threshold).
    server_threshold: float = Field(default=0.6, gt=0, lt=2)
    # A mismatch goes to review (flagged, counted as the review rules say) or is refused outright.
    server_mismatch: Literal["review", "refuse"] = "review"
    server_weight: float = Field(default=60, ge=0, le=100)   # the mismatch flag's share of the trust score
    min_face_px: int = Field(default=60, ge=20)     # a smaller face (shorter side, pixels) is refused at enrolment
    min_brightness: int = Field(default=40, ge=0, le=255)   # a darker face (mean luma) is refused


class ReviewRules(_Model):
    """What a check-in waiting for review (flagged, or with a flag from the face match, the
    pattern scan or the trust score) counts for until BKPP or the inspectorate decides."""

    pending_counts: bool = False      # False: a pending check-in makes no day hadir nor on time
    deadline_days: int = Field(default=5, ge=1, le=366)   # days after the work date to decide
    # past the deadline the day close decides for the reviewers (`pending`: it keeps waiting)
    after_deadline: Literal["sah", "tolak", "pending"] = "pending"


class WebRules(_Model):
    """Check-ins from the employee's web page (/app/): a browser cannot report a mock location."""

    allow: bool = True
    refuse_units: list[str] = []   # these units (and the units under them) must use the app or a terminal


# What each pattern across check-ins costs a check-in's trust score (100 = nothing found);
# the keys are the kinds ingest.rules.patterns finds.
PATTERN_WEIGHTS = {"impossible_travel": 60.0, "repeated_fix": 40.0, "accuracy_stretch": 30.0,
                   "shared_device": 60.0, "arrive_together": 50.0, "terminal_buddies": 50.0, "selfie_reuse": 60.0,
                   "offline_habit": 40.0}


# What the judge's own flags cost the same trust score (a flagged check-in waits for review anyway;
# the weight ranks it among the others).
JUDGE_WEIGHTS = {"clock_skew": 40.0, "late_upload": 50.0}


def _points_of_100(given: dict[str, float], defaults: dict[str, float], what: str) -> dict[str, float]:
    """Weights of known codes, each 0..100; the codes not given keep their default."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}; one of {', '.join(defaults)}")
    if any(w < 0 or w > 100 for w in given.values()):
        raise ValueError("weights are points of 100, between 0 and 100")
    return {**defaults, **given}


class PatternRules(_Model):
    """Thresholds of the patterns across check-ins, their weights, and the trust score under
    which a check-in is queued for review."""

    max_kmh: float = Field(default=150, gt=0)               # faster than this between two check-ins is travel no road allows
    repeated_fix_days: int = Field(default=3, ge=2)         # the same coordinates on this many days
    arrive_within_s: float = Field(default=60, gt=0)        # two employees' check-ins this close in time ...
    arrive_within_m: float = Field(default=10, gt=0)        # ... and in place ...
    together_min_days: int = Field(default=3, ge=2)         # ... on at least this many days ...
    together_min_share: float = Field(default=0.6, gt=0, le=1)   # ... and this share of the days both came
    terminal_within_s: float = Field(default=10, gt=0)      # two PINs on one terminal this close, day after day
    selfie_max_bits: int = Field(default=4, ge=0, le=16)    # pHash bits apart for "the same selfie"
    offline_habit_days: int = Field(default=3, ge=2)        # offline uploads on this many days ...
    offline_habit_share: float = Field(default=0.6, gt=0, le=1)   # ... and this share of the employee's days ...
    offline_place_share: float = Field(default=0.3, gt=0, le=1)   # ... unless the office's others are this often
    weights: dict[str, float] = Field(default_factory=lambda: dict(PATTERN_WEIGHTS))
    judge_weights: dict[str, float] = Field(default_factory=lambda: dict(JUDGE_WEIGHTS))
    # a check-in whose trust score (100 minus its weights) falls below this waits for review
    review_below: float = Field(default=70, gt=0, le=100)

    @field_validator("weights")
    @classmethod
    def _known_kinds(cls, v):
        return _points_of_100(v, PATTERN_WEIGHTS, "pattern")

    @field_validator("judge_weights")
    @classmethod
    def _known_flags(cls, v):
        return _points_of_100(v, JUDGE_WEIGHTS, "judge flag")


class TkSanction(_Model):
    """A PP 94/2021 discipline level reached by yearly TK days (work days absent without notice)."""

    from_days: int = Field(ge=1)
    level: Literal["ringan", "sedang", "berat"]
    sanction: str = Field(min_length=1)


# PP 94/2021 art. 9-11: cumulative TK work days in one year -> the sanction it calls for.
PP94_TK_SANCTIONS = [
    {"from_days": 3, "level": "ringan", "sanction": "teguran lisan"},
    {"from_days": 4, "level": "ringan", "sanction": "teguran tertulis"},
    {"from_days": 7, "level": "ringan", "sanction": "pernyataan tidak puas secara tertulis"},
    {"from_days": 11, "level": "sedang", "sanction": "pemotongan tunjangan kinerja 25% selama 6 bulan"},
    {"from_days": 14, "level": "sedang", "sanction": "pemotongan tunjangan kinerja 25% selama 9 bulan"},
    {"from_days": 17, "level": "sedang", "sanction": "pemotongan tunjangan kinerja 25% selama 12 bulan"},
    {"from_days": 21, "level": "berat", "sanction": "penurunan jabatan setingkat lebih rendah selama 12 bulan"},
    {"from_days": 25, "level": "berat", "sanction": "pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"},
    {"from_days": 28, "level": "berat", "sanction": "pemberhentian dengan hormat tidak atas permintaan sendiri"},
]


class Rules(_Model):
    late_bands: list[Band] = Field(min_length=1)
    early_bands: list[Band] = Field(min_length=1)
    missing_check_in: str
    missing_check_out: str
    absent_percent: float = Field(ge=0, le=100)
    monthly_cap_percent: float = Field(gt=0, le=100)
    deduction_base: Literal["whole", "discipline"] = "whole"
    discipline_share_percent: float = Field(default=40, gt=0, le=100)
    # Per-day deduction for an approved leave type (e.g. izin: 1.0); unlisted types cost 0.
    leave_deductions: dict[str, float] = {}
    # Leave types that cannot be requested without a supporting document (surat dokter, SPT).
    leave_document_required: list[str] = ["sakit", "cuti_sakit", "cuti_melahirkan", "dinas_luar", "tugas_luar",
                                          "tugas_belajar", "diklat"]
    annual_leave_days: int = Field(default=12, ge=0, le=366)   # cuti tahunan per employee and year
    manual_max_backdate_days: int = Field(default=3, ge=0, le=366)
    manual_cap_per_unit_month: int = Field(default=20, ge=0)   # more manual entries are flagged as overuse
    apel_missed_percent: float = Field(default=0.5, ge=0, le=100)  # missing a compulsory event (monthly recap)
    tk_sanctions: list[TkSanction] = Field(default_factory=lambda: [TkSanction(**s) for s in PP94_TK_SANCTIONS])
    # PP 94/2021 art. 11: this many consecutive TK work days also calls for dismissal.
    tk_consecutive_dismissal_days: int | None = Field(default=10, ge=1)
    # The worker closes a date this long after the day's last check-in window closes.
    day_close_margin_minutes: int = Field(default=30, ge=0, le=24 * 60)
    geofence: GeofenceRules = GeofenceRules()
    clock: ClockRules = ClockRules()
    face: FaceRules = FaceRules()
    patterns: PatternRules = PatternRules()
    review: ReviewRules = ReviewRules()
    web: WebRules = WebRules()
