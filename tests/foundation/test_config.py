"""config.yaml: the sample regions load; every kind of mistake is named with its key path."""
from __future__ import annotations

import copy
import datetime as dt
import subprocess
import sys

import pytest
import yaml

from foundation.config import ConfigError, zone_label
from foundation.config_file import load_config, parse_config

from tests.conftest import REGIONS, ROOT

CITY = ROOT / "config.yaml"
SOFIFI = REGIONS / "sofifi.yaml"
BASE = yaml.safe_load(CITY.read_text(encoding="utf-8"))


def _unit(code: str) -> int:
    return next(i for i, u in enumerate(BASE["units"]) if u["code"] == code)


def _office(code: str) -> int:
    return next(i for i, o in enumerate(BASE["offices"]) if o["code"] == code)


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), source="broken.yaml")
    return info.value.problems


def mutated(*changes) -> dict:
    """The sample city with changes applied: (path, value) sets or appends, (path, DELETE) pops."""
    raw = copy.deepcopy(BASE)
    for path, value in changes:
        *parents, last = path
        obj = raw
        for key in parents:
            obj = obj[key]
        if value is DELETE:
            obj.pop(last)
        elif isinstance(obj, list) and last == len(obj):
            obj.append(value)
        else:
            obj[last] = value
    return raw


DELETE = object()


# --- the sample regions ---------------------------------------------------------------

def test_sample_city_is_a_realistic_cilegon():
    cfg = load_config(CITY)
    assert cfg.region.timezone == "Asia/Jakarta" and zone_label(cfg.region.timezone) == "WIB"
    assert len(cfg.units) >= 30 and len(cfg.offices) >= 60
    kinds = {u.kind for u in cfg.units}
    assert {"sekretariat", "sekretariat_dprd", "inspektorat", "dinas", "badan", "satpol_pp",
            "kecamatan", "kelurahan", "sekolah", "puskesmas", "uptd"} <= kinds
    kecamatan = {u.name.removeprefix("Kecamatan ") for u in cfg.units if u.kind == "kecamatan"}
    assert kecamatan == {"Cibeber", "Cilegon", "Citangkil", "Ciwandan", "Gerogol", "Jombang",
                         "Pulomerak", "Purwakarta"}
    for u in cfg.units:
        if u.kind == "kelurahan":
            assert cfg.unit_by_code[u.parent].kind == "kecamatan", u.code
        if u.kind in ("sekolah", "puskesmas"):
            assert cfg.unit_schedule(u.code) == "enam_hari", u.code
    assert cfg.unit_schedule("DAMKAR") == "regu" and cfg.schedule_by_code["regu"].is_shift
    assert cfg.resolve_schedule("regu:B") == (cfg.schedule_by_code["regu"], 2)
    assert cfg.resolve_schedule("enam_hari") == (cfg.schedule_by_code["enam_hari"], 0)
    for wrong in ("regu:Z", "reguler:A", "shift"):
        with pytest.raises(KeyError):
            cfg.resolve_schedule(wrong)
    for o in cfg.offices:  # inside Kota Cilegon
        assert -6.10 <= o.lat <= -5.90 and 105.95 <= o.lon <= 106.10, o.code
    assert sum(1 for o in cfg.offices if o.polygon) >= 1
    assert {o.radius_m for o in cfg.offices} >= {None, 100, 200}
    assert sum(1 for offices in cfg.offices_by_unit.values() if len(offices) > 1) >= 5
    assert len(cfg.children[None]) == 1  # one tree, rooted at the Sekretariat Daerah


def test_sample_province_is_sofifi_in_wit():
    cfg = load_config(SOFIFI)
    assert zone_label(cfg.region.timezone) == "WIT"
    assert cfg.office_zone(cfg.offices[0]).key == "Asia/Jayapura"
    assert 8 <= len(cfg.units) and 10 <= len(cfg.offices)
    for o in cfg.offices:  # Sofifi, Halmahera
        assert 0.70 <= o.lat <= 0.76 and 127.53 <= o.lon <= 127.59, o.code
    assert cfg.rules.deduction_base == "discipline"


def test_cli_reports_a_good_file():
    done = subprocess.run([sys.executable, "-m", "pantau", "config", str(SOFIFI)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ok (Pemerintah Provinsi Maluku Utara, 10 units, 11 offices" in done.stdout


# --- one mistake at a time ------------------------------------------------------------

DAYS = ["schedules", 0, "day_types"]
N_UNITS, N_OFFICES = len(BASE["units"]), len(BASE["offices"])
DAMKAR_1 = _office("DAMKAR-1")

MISTAKES = {
    "unknown parent": (
        [(["units", 12, "parent"], "DINKESS")],
        ["units[12].parent: 'DINKESS' is not a unit code"]),
    "negative radius": (
        [(["offices", 3, "radius_m"], -5)],
        ["offices[3].radius_m: must be > 0, got -5"]),
    "duplicate unit code": (
        [(["units", N_UNITS], {"code": "DINKES", "name": "Dinas Kesehatan (lama)", "kind": "dinas",
                               "parent": "SETDA"})],
        [f"units[{N_UNITS}].code: 'DINKES' is already used by units[{_unit('DINKES')}]"]),
    "duplicate office code": (
        [(["offices", N_OFFICES], dict(BASE["offices"][0]))],
        [f"offices[{N_OFFICES}].code: 'KANTOR-WALIKOTA' is already used by offices[0]"]),
    "zone abbreviation instead of a time zone": (
        [(["region", "timezone"], "WIB")],
        ["region.timezone: unknown time zone 'WIB' (use e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"]),
    "clock with a dot": (
        [(DAYS + ["biasa", "start"], "7.30")],
        ["schedules[0].day_types.biasa.start: must be a time 'HH:MM' (optionally '+1' for next day), got '7.30'"]),
    "hour 25 in a window": (
        [(DAYS + ["biasa", "sessions", "in"], ["05:30", "25:00"])],
        ["schedules[0].day_types.biasa.sessions.in: must be a time 'HH:MM' (optionally '+1' for next day), got '25:00'"]),
    "overlapping windows": (
        [(DAYS + ["biasa", "sessions", "midday"], ["10:00", "13:30"])],
        ["schedules[0].day_types.biasa.sessions.midday: window opens 10:00 before in closes 11:00 "
         "(windows must not overlap, in order in, midday, out)"]),
    "night shift without +1": (
        [(["schedules", 2, "day_types", "malam", "end"], "07:00")],
        ["schedules[2].day_types.malam.end: 07:00 is not after start 22:00 (write '+1' for the next day)",
         "schedules[2].day_types.malam.sessions.out: window must contain the end time 07:00"]),
    "window that closes before work ends": (
        [(DAYS + ["biasa", "sessions", "out"], ["13:30", "15:00"])],
        ["schedules[0].day_types.biasa.sessions.out: window must contain the end time 16:00"]),
    "unknown day type in week": (
        [(["schedules", 0, "week", "mon"], "biasaa")],
        ["schedules[0].week.mon: 'biasaa' is not one of schedules[0].day_types "
         "(biasa, jumat, ramadan, ramadan_jumat); leave a rest day out"]),
    "weekday in Indonesian": (
        [(["schedules", 1, "week", "sat"], DELETE), (["schedules", 1, "week", "sabtu"], "sabtu")],
        ["schedules[1].week.sabtu: 'sabtu' is not allowed; use one of 'mon', 'tue', 'wed', 'thu', "
         "'fri', 'sat' or 'sun'"]),
    "cycle without cycle_start": (
        [(["schedules", 2, "cycle_start"], DELETE)],
        ["schedules[2].cycle_start: is required with cycle"]),
    "band gap": (
        [(["rules", "late_bands", 1, "from_min"], 35)],
        ["rules.late_bands[1].from_min: must be 31 to follow the previous band, got 35 "
         "(bands must leave no gap and not overlap)"]),
    "band code used twice": (
        [(["rules", "early_bands", 2, "code"], "PSW2")],
        ["rules.early_bands[2].code: 'PSW2' is already used by rules.early_bands[1]"]),
    "missing_check_in not a band": (
        [(["rules", "missing_check_in"], "TL5")],
        ["rules.missing_check_in: 'TL5' is not one of rules.late_bands (TL1, TL2, TL3, TL4) or 'TK'"]),
    "percent over 100": (
        [(["rules", "absent_percent"], 150)],
        ["rules.absent_percent: must be <= 100, got 150"]),
    "unknown key": (
        [(["offices", 2, "radius"], 100)],
        ["offices[2].radius: unknown key (check the spelling; see config.yaml for the keys each section takes)"]),
    "unit kind not allowed": (
        [(["units", 5, "kind"], "dinass")],
        ["units[5].kind: 'dinass' is not allowed; use one of 'sekretariat', 'sekretariat_dprd', "
         "'inspektorat', 'dinas', 'badan', 'kantor', 'biro', 'satpol_pp', 'kecamatan', 'kelurahan', "
         "'uptd', 'sekolah', 'puskesmas', 'rsud' or 'lainnya'"]),
    "lower-case unit code": (
        [(["units", N_UNITS], {"code": "dinas-baru", "name": "Dinas Baru", "kind": "dinas", "parent": "SETDA"})],
        [f"units[{N_UNITS}].code: must be upper-case letters, digits, '-', '_' or '.' (e.g. DINKES, PKM-CLG), "
         "got 'dinas-baru'"]),
    "lat and lon swapped (outside Indonesia)": (
        [(["offices", 4, "lat"], 106.0512), (["offices", 4, "lon"], -6.0169)],
        ["offices[4].lat: latitude must be inside Indonesia (-11.5..6.5), got 106.051",
         "offices[4].lon: longitude must be inside Indonesia (94.5..141.5), got -6.0169"]),
    "radius and polygon both": (
        [(["offices", DAMKAR_1, "radius_m"], 100)],
        [f"offices[{DAMKAR_1}]: give either radius_m or polygon, not both"]),
    "polygon elsewhere than its office": (
        [(["offices", DAMKAR_1, "polygon"], [[-6.10, 106.0], [-6.10, 106.01], [-6.11, 106.01]])],
        [f"offices[{DAMKAR_1}].polygon: does not surround the office's lat/lon (-6.0212, 106.042); "
         "points are [lat, lon]"]),
    "unit cycle": (
        [(["units", 0, "parent"], "KEC-CIBEBER")],
        ["units[0].parent: the unit tree has a cycle: SETDA -> KEC-CIBEBER -> SETDA"]),
    "unknown schedule on a unit": (
        [(["units", 40, "schedule"], "enam-hari")],
        ["units[40].schedule: 'enam-hari' is not a schedule code"]),
    "unit without any office": (
        [(["offices"], [o for o in BASE["offices"] if o["unit"] != "SETDA"])],
        ["units[0]: unit 'SETDA' has no office (check-in point) of its own or above it"]),
    "ramadan range backwards": (
        [(["ramadan", 0, "to"], dt.date(2026, 1, 19))],
        ["ramadan[0].to: 2026-01-19 is before from 2026-02-19"]),
    "unknown holiday country": (
        [(["holidays", "country"], "INA")],
        ["holidays.country: 'INA' is not a country the holidays package knows (use ID)"]),
    "removing a day that is no holiday": (
        [(["holidays", "remove"], [dt.date(2026, 8, 18)])],
        ["holidays.remove[0]: 2026-08-18 is not a holiday in ID, nothing to remove"]),
    "shift group beyond its cycle": (
        [(["schedules", 2, "groups", "D"], 6)],
        ["schedules[2].groups.D: offset must be 0..5 (days into the cycle), got 6"]),
    "shift groups on a fixed week": (
        [(["schedules", 0, "groups"], {"A": 0})],
        ["schedules[0].groups: shift groups need a cycle"]),
    "wall asking for news faster than it can draw": (
        [(["dashboard", "wall_tick_ms"], 50)],
        ["dashboard.wall_tick_ms: must be >= 200, got 50"]),
    "missing section": (
        [(["rules"], DELETE)],
        ["rules: is required"]),
}


@pytest.mark.parametrize("kind", MISTAKES)
def test_each_mistake_is_named_with_its_key_path(kind):
    changes, expected = MISTAKES[kind]
    assert problems_of(mutated(*changes)) == expected


def test_invalid_yaml_names_line_and_column():
    lines = CITY.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if "code: INSPEKTORAT," in line)
    lines[n] = lines[n].replace("kind: inspektorat,", "kind: [inspektorat,")
    with pytest.raises(ConfigError) as info:
        parse_config("\n".join(lines), source="broken.yaml")
    (problem,) = info.value.problems
    assert problem.startswith(f"line {n + 1}, column ") and "not valid YAML" in problem


def test_a_key_written_twice_is_not_silently_dropped():
    lines = CITY.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if line.startswith("  - {code: DINSOS,"))
    lines[n] = lines[n].replace("parent: SETDA}", "parent: SETDA, parent: DINKES}")
    with pytest.raises(ConfigError) as info:
        parse_config("\n".join(lines), source="broken.yaml")
    column = lines[n].index("parent: DINKES") + 1
    assert info.value.problems == [
        f"line {n + 1}, column {column}: key 'parent' appears twice in the same mapping "
        "(the first value would be lost)"]


def test_empty_and_non_mapping_files():
    for text in ("", "- just\n- a list\n"):
        with pytest.raises(ConfigError) as info:
            parse_config(text)
        assert info.value.problems == ["(top): must be a mapping of sections (region, units, offices, ...)"]


# --- many mistakes at once ----------------------------------------------------------------

PICKED = ["unknown parent", "negative radius", "zone abbreviation instead of a time zone",
          "clock with a dot", "band gap", "unit kind not allowed", "radius and polygon both",
          "unit cycle", "unknown key", "cycle without cycle_start"]


def _many_mistakes() -> tuple[dict, list[str]]:
    changes = [c for kind in PICKED for c in MISTAKES[kind][0]]
    expected = [line for kind in PICKED for line in MISTAKES[kind][1]]
    return mutated(*changes), expected


def test_every_problem_of_a_file_is_listed_at_once():
    raw, expected = _many_mistakes()
    problems = problems_of(raw)
    assert sorted(problems) == sorted(expected)
    assert len(problems) == len(PICKED)


def test_cli_lists_every_problem_and_exits_2(tmp_path):
    raw, expected = _many_mistakes()
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pantau", "config", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{path}: {len(expected)} problem(s)" in done.stderr
    for line in expected:
        assert f"  - {line}\n" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "missing.yaml")
    assert info.value.problems == ["cannot read file: No such file or directory"]


def test_start_up_with_a_broken_config_fails_before_touching_any_server(tmp_path):
    from foundation.runtime import boot
    from foundation.settings import Settings

    raw, expected = _many_mistakes()
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", redis_url="redis://127.0.0.1:1/0",
                        config_path=path, var_dir=tmp_path / "var", redis_prefix="unused",
                        selfie_dir=tmp_path / "var" / "selfies", secret_key="unused")
    with pytest.raises(ConfigError) as info:
        boot(settings)
    assert sorted(info.value.problems) == sorted(expected)
    assert not (tmp_path / "var").exists()


def test_web_refuse_units_names_an_unknown_unit_and_a_known_one_refuses_its_subtree():
    assert problems_of(mutated((("rules", "web"), {"allow": True, "refuse_units": ["DINKES", "DINAS-X"]}))) == [
        "rules.web.refuse_units[1]: 'DINAS-X' is not a unit code"]
    raw = mutated((("rules", "web"), {"allow": True, "refuse_units": ["SETDA"]}))
    config = parse_config(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), source="web.yaml")
    assert not config.web_allowed("DINKES")            # under SETDA
    everyone = parse_config(yaml.safe_dump(BASE, sort_keys=False, allow_unicode=True), source="city.yaml")
    assert everyone.web_allowed("DINKES")


# --- how long a request waits on Postgres ---------------------------------------------

def test_database_waits_stay_under_the_proxy_timeouts():
    assert load_config(CITY).database.api_wait_s == 5          # a phone: 503 + Retry-After after 5 s
    problems = problems_of(mutated((("database", "api_wait_s"), 30), (("database", "dashboard_wait_s"), 0)))
    assert any(p.startswith("database.api_wait_s: 30 s is not under nginx's proxy_read_timeout of 30 s")
               for p in problems), problems
    assert any(p.startswith("database.dashboard_wait_s: must be >= 1") for p in problems), problems
    defaults = mutated((("database",), DELETE))
    assert parse_config(yaml.safe_dump(defaults, sort_keys=False, allow_unicode=True)).database.dashboard_wait_s == 15


def test_the_wall_ticks_every_500_ms_by_default_and_in_the_sample():
    # 1000 ms kept check-in to wall p95 above 1 s on its own (bench/RESULTS.md); 500 ms met it
    assert load_config(CITY).dashboard.wall_tick_ms == 500
    unset = mutated((("dashboard", "wall_tick_ms"), DELETE))
    assert parse_config(yaml.safe_dump(unset, sort_keys=False, allow_unicode=True)).dashboard.wall_tick_ms == 500
    slower = mutated((("dashboard", "wall_tick_ms"), 1000))
    assert parse_config(yaml.safe_dump(slower, sort_keys=False, allow_unicode=True)).dashboard.wall_tick_ms == 1000


def test_pattern_weights_name_a_known_pattern_and_stay_points_of_100():
    assert problems_of(mutated((("rules", "patterns"), {"weights": {"titip": 50}})))[0].startswith(
        "rules.patterns.weights: ")
    assert "unknown pattern 'titip'" in problems_of(mutated((("rules", "patterns"), {"weights": {"titip": 50}})))[0]
    assert "between 0 and 100" in problems_of(mutated((("rules", "patterns"), {"weights": {"selfie_reuse": 150}})))[0]
    raw = mutated((("rules", "patterns"), {"weights": {"selfie_reuse": 80}}))
    weights = parse_config(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), source="p.yaml").rules.patterns.weights
    assert weights["selfie_reuse"] == 80 and weights["impossible_travel"] == 60   # the rest keep their defaults


def test_trust_threshold_judge_weights_and_offline_window_are_named_by_key_path():
    problems = problems_of(mutated((("rules", "patterns", "review_below"), 0),
                                   (("rules", "patterns", "judge_weights"), {"mock_location": 10}),
                                   (("rules", "clock", "offline_honest_minutes"), -5)))
    assert any(p.startswith("rules.patterns.review_below: must be > 0") for p in problems), problems
    assert any(p.startswith("rules.patterns.judge_weights: ") and "unknown judge flag 'mock_location'" in p
               for p in problems), problems
    assert any(p.startswith("rules.clock.offline_honest_minutes: must be > 0") for p in problems), problems
    raw = mutated((("rules", "patterns", "judge_weights"), {"late_upload": 70}))
    patterns = parse_config(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), source="p.yaml").rules.patterns
    assert patterns.judge_weights == {"clock_skew": 40, "late_upload": 70} and patterns.review_below == 70


def test_offline_habit_thresholds_are_named_by_key_path_and_weighed():
    problems = problems_of(mutated((("rules", "patterns", "offline_habit_days"), 1),
                                   (("rules", "patterns", "offline_habit_share"), 1.5),
                                   (("rules", "patterns", "offline_place_share"), 0)))
    assert any(p.startswith("rules.patterns.offline_habit_days: must be >= 2") for p in problems), problems
    assert any(p.startswith("rules.patterns.offline_habit_share: must be <= 1") for p in problems), problems
    assert any(p.startswith("rules.patterns.offline_place_share: must be > 0") for p in problems), problems
    raw = mutated((("rules", "patterns", "weights"), {"offline_habit": 45}))
    patterns = parse_config(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), source="p.yaml").rules.patterns
    assert patterns.weights["offline_habit"] == 45 and patterns.offline_habit_days == 3


def test_proxies_and_login_limits_are_named_by_key_path():
    problems = problems_of(mutated((("proxies",), {"trusted": True}),
                                   (("dashboard", "login_attempts_per_address"), "100 per fortnight")))
    assert "proxies.trusted: Input should be a valid integer, got True" in problems
    assert ("dashboard.login_attempts_per_address: '100 per fortnight' is not a rate limit "
            "(e.g. '10 per 15 minutes')") in problems
    assert "proxies.trusted: must be <= 5, got 9" in problems_of(mutated((("proxies", "trusted"), 9)))


def test_the_server_face_check_settings_are_named_by_key_path():
    assert problems_of(mutated((["rules", "face", "server_mismatch"], "tolak"))) == [
        "rules.face.server_mismatch: 'tolak' is not allowed; use one of 'review' or 'refuse'"]
    assert problems_of(mutated((["rules", "face", "server_threshold"], 0))) == [
        "rules.face.server_threshold: must be > 0, got 0"]
    raw = mutated((["rules", "face", "server_mismatch"], "refuse"))
    face = parse_config(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), source="f.yaml").rules.face
    assert (face.server_mismatch, face.server_threshold, face.min_score) == ("refuse", 0.6, 0.8)

def test_review_rules_are_named_by_key_path_and_default_to_not_counting():
    assert load_config(CITY).rules.review.pending_counts is False
    problems = problems_of(mutated((("rules", "review"), {"pending_counts": "kadang", "deadline_days": 0,
                                                          "after_deadline": "hapus"})))
    assert any(p.startswith("rules.review.pending_counts: ") for p in problems), problems
    assert any(p.startswith("rules.review.deadline_days: ") for p in problems), problems
    assert any(p.startswith("rules.review.after_deadline: ") and "'sah'" in p for p in problems), problems
    defaults = mutated((("rules", "review"), DELETE))
    review = parse_config(yaml.safe_dump(defaults, sort_keys=False, allow_unicode=True)).rules.review
    assert (review.deadline_days, review.after_deadline) == (5, "pending")
