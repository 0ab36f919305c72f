"""`pantau employees import` over a real Postgres: idempotent, all or nothing, audited."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import replace

import pytest

from ingest.synthetic.people import generate_employees, write_csv
from pantau.commands.employees import import_employees
from queries import audit, db, employees

from tests.conftest import ROOT, runtime_env

HEADER = "nip,nama,unit_kode,jabatan,jadwal,pin,penugasan\n"


@pytest.fixture(scope="module")
def rt(make_runtime):
    """Own database: these tests fill and change the employees table."""
    return make_runtime(ROOT / "config.yaml", "employees")


def csv_bytes(people) -> bytes:
    buf = io.StringIO()
    write_csv(people, buf)
    return buf.getvalue().encode()


def snapshot(rt) -> list[dict]:
    with rt.connection() as conn:
        return db.rows(conn, "SELECT nip, name, unit_code, position, schedule_code, terminal_pin, assigned_units, "
                             "active, updated_at FROM employees ORDER BY nip")


def audit_count(rt) -> int:
    with rt.connection() as conn:
        return db.scalar(conn, "SELECT count(*) FROM audit_log")


def test_import_then_reimport_changes_nothing(rt):
    data = csv_bytes(generate_employees(rt.config, 300, seed=11))
    first = import_employees(rt, data, actor="bkpp.rina", source="pegawai.csv")
    assert first.problems == [] and first.written
    assert first.counts == {"inserted": 300, "updated": 0, "unchanged": 0}
    before, audits = snapshot(rt), audit_count(rt)
    again = import_employees(rt, data, actor="bkpp.rina", source="pegawai.csv")
    assert again.counts == {"inserted": 0, "updated": 0, "unchanged": 300}
    assert snapshot(rt) == before and audit_count(rt) == audits
    with rt.connection() as conn:
        (entry,) = audit.entries(conn, action="employees.import")
        assert entry["actor"] == "bkpp.rina" and len(entry["after"]["inserted"]) == 300


def test_updates_are_audited_and_pins_can_be_swapped(rt):
    people = generate_employees(rt.config, 300, seed=11)
    with_pin = [i for i, p in enumerate(people) if p.terminal_pin]
    a, b = with_pin[0], with_pin[1]
    moved = next(i for i, p in enumerate(people) if p.unit_code == "DINSOS")
    people[a], people[b] = (replace(people[a], terminal_pin=people[b].terminal_pin),
                            replace(people[b], terminal_pin=people[a].terminal_pin))
    people[moved] = replace(people[moved], unit_code="DISNAKER", position="Pengantar Kerja Ahli Pertama")
    result = import_employees(rt, csv_bytes(people), actor="bkpp.rina", source="mutasi.csv")
    assert result.problems == [] and result.counts == {"inserted": 0, "updated": 3, "unchanged": 297}
    with rt.connection() as conn:
        assert employees.by_nip(conn, people[a].nip)["terminal_pin"] == people[a].terminal_pin
        assert employees.by_nip(conn, people[b].nip)["terminal_pin"] == people[b].terminal_pin
        row = employees.by_nip(conn, people[moved].nip)
        assert (row["unit_code"], row["position"]) == ("DISNAKER", "Pengantar Kerja Ahli Pertama")
        updates = {e["target"]: e for e in audit.entries(conn, action="employee.update")}
    entry = updates[f"employee:{people[moved].nip}"]
    assert entry["actor"] == "bkpp.rina" and entry["reason"] == "import mutasi.csv"
    assert entry["before"]["unit_code"] == "DINSOS" and entry["after"]["unit_code"] == "DISNAKER"
    assert set(entry["before"]) == {"unit_code", "position"}
    assert updates[f"employee:{people[a].nip}"]["after"] == {"terminal_pin": people[a].terminal_pin}


def test_a_column_left_out_keeps_what_the_database_has(rt):
    before = snapshot(rt)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["nip", "nama", "unit_kode", "jabatan"])
    writer.writerows([r["nip"], r["name"], r["unit_code"], r["position"]] for r in before[:40])
    assert sum(1 for r in before[:40] if r["terminal_pin"]) > 0
    result = import_employees(rt, buf.getvalue().encode(), actor="cli", source="tanpa-pin.csv")
    assert result.problems == [] and result.counts == {"inserted": 0, "updated": 0, "unchanged": 40}
    assert snapshot(rt) == before


def test_a_pin_held_by_someone_outside_the_file_stops_the_import(rt):
    holder = next(r for r in snapshot(rt) if r["terminal_pin"])
    before, audits = snapshot(rt), audit_count(rt)
    text = HEADER + f"198503122010011003,Asep Saepudin,SMPN-1,Guru Ahli Muda,,{holder['terminal_pin']},\n" \
                    "199107252019032011,Siti Nurhasanah,DINKES,Bidan Terampil,,,\n"
    result = import_employees(rt, text.encode(), actor="cli", source="baru.csv")
    assert not result.written
    assert result.problems == [
        f"line 2: pin: PIN {holder['terminal_pin']} sudah dipakai pegawai NIP {holder['nip']} (tidak ada di berkas "
        f"ini) / PIN {holder['terminal_pin']} already belongs to employee NIP {holder['nip']} (not in this file)"]
    assert snapshot(rt) == before and audit_count(rt) == audits


def test_cli_on_a_bad_file_lists_every_row_and_writes_nothing(rt, tmp_path):
    good = generate_employees(rt.config, 300, seed=99)[:5]
    lines = [HEADER.rstrip("\n")] + [f'{p.nip},"{p.name}",{p.unit_code},{p.position},,,' for p in good]
    lines[2] = lines[2].replace(good[1].unit_code, "DINKESS", 1)
    lines[4] = "1985031220100110,Budi Santoso,DINKES,Perawat Terampil,,,"
    path = tmp_path / "pegawai.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before, audits = snapshot(rt), audit_count(rt)
    done = subprocess.run([sys.executable, "-m", "pantau", "employees", "import", str(path), "--actor", "bkpp.rina"],
                          cwd=ROOT, env=runtime_env(rt), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "line 3: unit_kode: 'DINKESS' bukan kode unit (maksud Anda DINKES?) / " \
           "'DINKESS' is not a unit code (did you mean DINKES?)\n" in done.stderr
    assert "line 5: nip: NIP harus 18 digit angka, tertulis '1985031220100110' (16 karakter) / " \
           "NIP must be 18 digits, got '1985031220100110' (16 characters)\n" in done.stderr
    assert "2 problem(s), nothing imported" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(rt) == before and audit_count(rt) == audits

    path.write_text("\n".join(lines[:2] + lines[3:4]) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pantau", "employees", "import", str(path), "--actor", "bkpp.rina"],
                          cwd=ROOT, env=runtime_env(rt), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "inserted 2, updated 0, unchanged 0" in done.stdout
    with rt.connection() as conn:
        assert employees.by_nip(conn, good[0].nip)["name"] == good[0].name
        assert audit.entries(conn, action="employees.import", actor="bkpp.rina")[0]["target"] == "pegawai.csv"


def test_cli_generate_writes_an_importable_file(rt, tmp_path):
    out = tmp_path / "gen.csv"
    done = subprocess.run([sys.executable, "-m", "pantau", "employees", "generate", "--count", "120", "--out",
                           str(out), "--seed", "4"], cwd=ROOT, env=runtime_env(rt), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{out}: 120 employees over 86 units" in done.stdout
    assert out.read_bytes() == csv_bytes(generate_employees(rt.config, 120, seed=4))


def test_dry_run_counts_but_writes_nothing(rt):
    before, audits = snapshot(rt), audit_count(rt)
    data = csv_bytes([replace(p, terminal_pin=None) for p in generate_employees(rt.config, 40, seed=123)])
    result = import_employees(rt, data, actor="cli", source="coba.csv", dry_run=True)
    assert result.problems == [] and not result.written and result.counts["inserted"] == 40
    assert snapshot(rt) == before and audit_count(rt) == audits
