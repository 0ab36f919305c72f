"""Every `pantau` command run with `--region 8271` reads and writes nothing of the
installation's own region (3672, Cilegon): not one row of its schema changes, not one Redis
key or file of it, and nothing it prints names one of its people.

The commands come from the parser itself: a new command fails `test_every_command_is_covered`
until it gets a run below or a reason in EXEMPT. The same runs, without --region, first give
the own region the same kinds of data (so a command that leaked would have something to leak).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import shutil

import pytest

from ingest.synthetic.people import generate_employees, write_csv
from pantau.cli import build_parser
from queries import db
from tests.conftest import ROOT, runtime_env
from tests.support.regions import pantau



def _last_work_day() -> dt.date:
    """The last weekday before today: a manual entry may be at most 3 days old, not in the future."""
    day = dt.date.today() - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


DAY = _last_work_day()
MONTH = DAY.strftime("%Y-%m")
FACE = ROOT / "tests" / "data" / "faces" / "obama1.jpg"

# Commands that do not read or write one region's data, or whose isolation is proven elsewhere.
EXEMPT = {
    "demo": "starts an installation of its own (embedded servers, its own config), not a region's",
    "screens": "drives a browser against a running dashboard: the dashboard's isolation tests cover it",
    "dev redis-cluster": "starts and stops local Redis servers for development; no region data",
    "worker": "serves every region by design: tests/isolation/test_worker_regions.py",
    "region add": "the installation's regions themselves: tests/isolation/test_region_cli.py",
    "region list": "lists every region by design: tests/isolation/test_region_cli.py",
}


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple = ()) -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                deeper = leaf_commands(sub, (*prefix, name))
                out.extend(deeper or [" ".join((*prefix, name))])
    return out


@dataclasses.dataclass
class Region:
    """What one region's runs need: its people, names and files."""
    nips: list[str]
    names: list[str]
    user: str
    kiosk: str
    sn: str
    offset: str
    files: dict


def runs(r: Region) -> list[tuple[str, list[str]]]:
    """(command, argv) in an order that builds on itself; every covered command at least once."""
    d, nip, other = DAY.isoformat(), r.nips[0], r.nips[1]
    f = r.files
    return [
        ("db status", ["db", "status"]),
        ("db upgrade", ["db", "upgrade"]),
        ("config", ["config"]),
        # an empty region's synthetic history first: it writes as a fresh region's import would
        ("demo-data", ["demo-data", "--employees", "12", "--days", "2", "--until", d, "--seed", "5"]),
        ("employees generate", ["employees", "generate", "--count", "3", "--out", str(f["generated"])]),
        ("employees import", ["employees", "import", str(f["employees"]), "--actor", "bkpp"]),
        ("devices issue-code", ["devices", "issue-code", nip, "--by", "bkpp"]),
        ("devices reset", ["devices", "reset", nip, "--reason", "ponsel hilang", "--by", "bkpp"]),
        ("devices issue-code", ["devices", "issue-code", other, "--by", "bkpp"]),
        ("devices show", ["devices", "show", nip]),
        ("devices shared", ["devices", "shared"]),
        ("users add", ["users", "add", r.user, "--role", "bkpp", "--name", r.names[2], "--password-stdin"]),
        ("users list", ["users", "list"]),
        ("users password", ["users", "password", r.user, "--password-stdin"]),
        ("kiosk add", ["kiosk", "add", r.kiosk]),
        ("kiosk list", ["kiosk", "list"]),
        ("kiosk revoke", ["kiosk", "revoke", "1", "--reason", "uji"]),
        ("leave types", ["leave", "types"]),
        ("leave add", ["leave", "add", other, "cuti_tahunan", d, d, "--actor", "bkpp"]),
        ("leave import", ["leave", "import", str(f["leave"]), "--actor", "bkpp"]),
        ("manual add", ["manual", "add", nip, f"{d}T07:20:00{r.offset}", "in", "terminal_failure",
                        "--note", "mesin mati", "--actor", "bkpp"]),
        ("terminals approve", ["terminals", "approve", r.sn, "--office", "KANTOR-WALIKOTA", "--actor", "bkpp"]),
        ("terminals list", ["terminals", "list"]),
        ("terminals import", ["terminals", "import", str(f["attlog"]), "--sn", r.sn]),
        ("terminals unmatched", ["terminals", "unmatched"]),
        ("terminals rematch", ["terminals", "rematch"]),
        ("terminals sync-time", ["terminals", "sync-time", r.sn, "--actor", "bkpp"]),
        ("terminals command", ["terminals", "command", r.sn, "info", "--actor", "bkpp"]),
        ("terminals pull", ["terminals", "pull", "--deadline", "5"]),
        ("day close", ["day", "close", d, "--actor", "bkpp"]),
        ("recompute", ["recompute", "--from", d, "--to", d, "--actor", "bkpp"]),
        ("live rebuild", ["live", "rebuild", "--date", d]),
        ("dashboard refresh", ["dashboard", "refresh"]),
        ("recap", ["recap", MONTH, "--out", str(f["recap"])]),
        ("patterns scan", ["patterns", "scan", "--from", d]),
        ("patterns export", ["patterns", "export", MONTH, "--out", str(f["patterns"])]),
        ("faces enrol", ["faces", "enrol", "--dir", str(f["faces"]), "--by", "bkpp"]),
        ("faces check", ["faces", "check", nip, str(FACE)]),
        ("employees leave", ["employees", "leave", r.nips[3], "--last-day", "2026-12-31", "--reason", "pensiun", "--actor", "bkpp"]),
        ("users disable", ["users", "disable", r.user, "--reason", "pindah"]),
        ("users enable", ["users", "enable", r.user, "--reason", "kembali"]),
        ("terminals retire", ["terminals", "retire", r.sn, "--actor", "bkpp"]),
    ]


# Commands given the OWN region's people and things under --region 8271: each must find nothing.
def probes(own: Region) -> list[list[str]]:
    return [
        ["devices", "show", own.nips[0]],
        ["devices", "reset", own.nips[1], "--reason", "uji", "--by", "bkpp"],
        ["leave", "add", own.nips[4], "cuti_tahunan", str(DAY), str(DAY)],
        ["manual", "add", own.nips[4], f"{DAY}T07:25:00+07:00", "in", "terminal_failure", "--note", "x"],
        ["employees", "leave", own.nips[4], "--last-day", "2026-12-31", "--reason", "x"],
        ["faces", "check", own.nips[0], str(FACE)],
        ["users", "disable", own.user, "--reason", "uji"],
        ["users", "enable", own.user, "--reason", "uji"],
        ["users", "password", own.user, "--password-stdin"],
        ["terminals", "retire", own.sn],
        ["terminals", "sync-time", own.sn],
    ]


def region_data(rt, tmp, seed: int, tag: str, offset: str) -> Region:
    """An import file of people named for their region (so a leak is recognised), and the
    leave, terminal and face files the runs use."""
    people = generate_employees(rt.config, 8, seed=seed)
    people = [dataclasses.replace(p, name=f"{tag} Penanda {i:02d}", terminal_pin=None) for i, p in enumerate(people)]
    folder = tmp / tag
    (folder / "faces").mkdir(parents=True)
    buf = io.StringIO()
    write_csv(people, buf)
    files = {"employees": folder / "pegawai.csv", "leave": folder / "cuti.csv", "attlog": folder / "attlog.csv",
             "faces": folder / "faces", "recap": folder / "rekap.csv", "patterns": folder / "pola.csv",
             "generated": folder / "generated.csv"}
    files["employees"].write_text(buf.getvalue())
    files["leave"].write_text(f"nip,jenis,dari,sampai,alasan\n{people[5].nip},cuti_tahunan,{DAY},{DAY},uji\n")
    files["attlog"].write_text(f"pin,datetime\n{people[6].nip},{DAY} 07:31:00\n{people[6].nip},{DAY} 16:05:00\n"
                               f"99999,{DAY} 07:40:00\n")
    shutil.copy(FACE, files["faces"] / f"{people[0].nip}.jpg")
    return Region([p.nip for p in people], [p.name for p in people], f"{tag.lower()}.admin", f"Kios {tag}",
                  f"{tag.upper()}SN0001", offset, files)


def own_state(own) -> dict:
    """Every table of the own region's schema (its content's hash), its Redis keys (their
    values) and its files: what a command of another region must leave as it was."""
    state = {}
    with db.connection(own.urls.owner_url) as conn:
        tables = db.rows(conn, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
        for t in (r["tablename"] for r in tables):
            state[f"table {t}"] = db.one(conn, f'SELECT count(*) AS n, md5(string_agg(x::text, \'|\' ORDER BY x::text)) '
                                               f'AS h FROM "{t}" x')
    prefix = own.settings.redis_prefix
    others = (f"{prefix}:8271:", f"{{{prefix}:8271:", f"{{{prefix}:8271}}")
    for key in [*own.redis.scan_iter(f"{prefix}:*"), *own.redis.scan_iter(f"{{{prefix}:*")]:
        if not key.startswith(others):
            state[f"redis {key}"] = own.redis.dump(key)
    for path in sorted(own.settings.var_dir.rglob("*")):
        rel = path.relative_to(own.settings.var_dir)
        if path.is_file() and "8271" not in rel.parts and rel.parts[0] != "regions":
            state[f"file {rel}"] = (path.stat().st_size, path.stat().st_mtime_ns)
    return state


@pytest.fixture(scope="module")
def installation(make_installation, tmp_path_factory):
    regions = make_installation("8271", label="cli_iso")
    tmp = tmp_path_factory.mktemp("cli_iso_files")
    own = region_data(regions["3672"], tmp, seed=11, tag="Cilegon", offset="+07:00")
    ternate = region_data(regions["8271"], tmp, seed=12, tag="Ternate", offset="+09:00")
    assert not set(own.nips) & set(ternate.nips)
    return regions, own, ternate


def test_every_command_is_covered(tmp_path):
    placeholder = Region([f"{i}" for i in range(8)], [""] * 8, "u", "k", "SN", "+07:00",
                         {k: tmp_path for k in ("employees", "leave", "attlog", "faces", "recap", "patterns", "generated")})
    covered = {name for name, _ in runs(placeholder)}
    every = set(leaf_commands(build_parser()))
    assert len(every) > 40 and {"employees import", "day close", "faces enrol"} <= every
    assert not set(EXEMPT) - every, "an exemption names a command that no longer exists"
    assert every - set(EXEMPT) - covered == set(), "a command with no isolation run: add it to runs() or EXEMPT"


def test_every_command_of_another_region_leaves_the_own_region_alone(installation, monkeypatch):
    regions, own, ternate = installation
    own_rt = regions["3672"]
    env = runtime_env(own_rt)   # the own region's process environment, both database URLs included
    failed = []
    for name, argv in runs(own):   # the own region gets the same kinds of data first
        code, out = pantau(env, argv, monkeypatch)
        if code != 0:
            failed.append((name, code, out[-400:]))
    assert not failed, f"own-region runs failed: {failed}"
    markers = [*own.nips, *own.names, own.user, own.kiosk, own.sn]

    before = own_state(own_rt)
    assert any(k.startswith("redis ") for k in before) and any(k.startswith("file ") for k in before)
    assert before["table employees"]["n"] >= len(own.nips) and before["table day_closes"]["n"] >= 1
    assert before["table check_ins"]["n"] > 0 and before["table face_enrolments"]["n"] > 0
    for name, argv in runs(ternate):
        code, out = pantau(env, ["--region", "8271", *argv], monkeypatch)
        assert code == 0, f"pantau --region 8271 {' '.join(argv)} -> {code}:\n{out[-1500:]}"
        leaked = [m for m in markers if m in out]
        assert not leaked, f"`{name}` under --region 8271 printed the own region's {leaked}"
        after = own_state(own_rt)
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        assert not changed, f"`{name}` under --region 8271 changed the own region's {changed}"
    with regions["8271"].connection() as conn:   # and the runs did write to 8271
        assert db.scalar(conn, "SELECT count(*) FROM employees") == 12 + len(ternate.nips)
        assert db.scalar(conn, "SELECT count(*) FROM day_closes WHERE work_date = :d", d=DAY) == 1

    for argv in probes(own):   # the own region's people and things, asked for under 8271
        code, out = pantau(env, ["--region", "8271", *argv], monkeypatch)
        assert code != 0, f"pantau --region 8271 {' '.join(argv)} found something ({out[-500:]})"
        leaked = [m for m in markers if m in out and m not in argv]
        assert not leaked, f"`{' '.join(argv)}` under --region 8271 printed the own region's {leaked}"
    assert own_state(own_rt) == before


def test_an_unknown_region_exits_2_naming_the_known_ones(installation, monkeypatch):
    regions, _, _ = installation
    code, out = pantau(runtime_env(regions["3672"]), ["--region", "9999", "users", "list"], monkeypatch)
    assert code == 2 and "9999" in out and "3672" in out and "8271" in out
