"""Reading BKPP's employee file: every bad row named by line, column and reason (no database)."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from ingest.employees_import import plan_import, read_employees, row_values
from ingest.synthetic.people import generate_employees, headcounts, write_csv
from foundation.config_file import load_config

from tests.conftest import ROOT

TODAY = dt.date(2026, 1, 15)
CITY = load_config(ROOT / "config.yaml")
HEADER = "nip;nama;unit_kode;jabatan;jadwal;pin;penugasan\n"


def read(text: str, encoding: str = "utf-8"):
    return read_employees(text.encode(encoding), CITY, today=TODAY)


BAD_FILE = HEADER + """\
198503122010011003;Asep Saepudin, S.Pd.;SDN-CIWADUK;Guru Ahli Muda;;2001;
19850312201001100;Budi Santoso;DINKES;Perawat Terampil;;;
199107252019032011;Siti Nurhasanah;DINKESS;Bidan Terampil;;;
199107252019032011;Siti Nurhasanah;DINKES;Bidan Terampil;;;
198001012005011002;Dadang Suherman;DAMKAR;Pemadam Kebakaran Pemula;regu:D;;
198001012005011003;Cecep Hidayat;DAMKAR;Pemadam Kebakaran Pemula;regu:A;2001;
198001012005011004;Iwan Setiawan;SDN-CIWADUK;Guru Ahli Pertama;;12a;"SDN-CIWADUK;SDN-KUBANGSARI;SDN-X"
198001012005011005;;KEL-GEREM;Lurah;;;

198001012005011006;Eko Prasetyo;KEL-GEREM;Sekretaris Kelurahan;;;;KEL-MASIGIT
1.98503E+17;Joko Widodo;BKPP;Analis Kebijakan Ahli Muda;;;
198503122001011003;Ujang Komarudin;bkpp;Analis Kebijakan Ahli Muda;;;
198503122010011004;Ujang Komarudin;BKPP;Analis Kebijakan Ahli Muda;;;"SDN-CIWADUK;SDN-CIWADUK"
"""


def test_every_bad_row_is_listed_with_line_column_and_reason():
    parsed = read(BAD_FILE)
    assert parsed.problems == [
        "line 3: nip: NIP harus 18 digit angka, tertulis '19850312201001100' (17 karakter) / "
        "NIP must be 18 digits, got '19850312201001100' (17 characters)",
        "line 4: unit_kode: 'DINKESS' bukan kode unit (maksud Anda DINKES?) / "
        "'DINKESS' is not a unit code (did you mean DINKES?)",
        "line 5: nip: NIP 199107252019032011 sudah ada di baris 4 / NIP 199107252019032011 is already on line 4",
        "line 6: jadwal: 'regu:D' bukan jadwal atau regu (pilihan: reguler, enam_hari, regu, regu:A, regu:B, regu:C) / "
        "'regu:D' is not a schedule or shift group (choices: reguler, enam_hari, regu, regu:A, regu:B, regu:C)",
        "line 7: pin: PIN 2001 sudah dipakai di baris 2 / PIN 2001 is already used on line 2",
        "line 8: pin: PIN harus 1-9 digit angka, tertulis '12a' / PIN must be 1-9 digits, got '12a'",
        "line 8: penugasan: SDN-CIWADUK adalah unit pegawai itu sendiri / SDN-CIWADUK is the employee's own unit",
        "line 8: penugasan: 'SDN-X' bukan kode unit / 'SDN-X' is not a unit code",
        "line 9: nama: nama kosong / name is empty",
        "line 11: row: ada 8 kolom, baris judul punya 7 (pemisah ';' di dalam nilai harus diapit tanda kutip) / "
        "has 8 columns, the header has 7 (a ';' inside a value needs quotes)",
        "line 12: nip: NIP '1.98503E+17' sudah diubah Excel menjadi angka; format kolom NIP sebagai Teks lalu "
        "ekspor ulang / NIP '1.98503E+17' was turned into a number by Excel; format the NIP column as Text and "
        "export again",
        "line 13: nip: umur saat pengangkatan 200101 adalah 15 tahun, harus 18-70 (lahir 19850312) / "
        "age at appointment 200101 is 15, must be 18-70 (born 19850312)",
        "line 14: penugasan: SDN-CIWADUK ditulis dua kali / SDN-CIWADUK is listed twice",
    ]
    assert [r.line for r in parsed.rows] == [2]


def test_a_good_file_with_bom_semicolons_and_quoted_commas():
    text = "\ufeffNIP;Nama;Unit_Kode;Jabatan;Jadwal;PIN;Penugasan\r\n" \
           "198503122010011003;\"Hj. Siti Nurhasanah, S.Pd., M.Pd.\";sdn-ciwaduk;Kepala Sekolah;;2001;" \
           "\"SDN-KUBANGSARI; SDN-GEREM\"\r\n" \
           "19800101 200501 1 002;  Dadang   Suherman ;DAMKAR;Kepala Regu;regu:B;;\r\n"
    parsed = read(text)
    assert parsed.problems == []
    first, second = parsed.rows
    assert (first.line, first.nip, first.name, first.unit_code) == \
        (2, "198503122010011003", "Hj. Siti Nurhasanah, S.Pd., M.Pd.", "SDN-CIWADUK")
    assert first.assigned_units == ("SDN-KUBANGSARI", "SDN-GEREM") and first.terminal_pin == "2001"
    assert (second.nip, second.name, second.schedule_code, second.terminal_pin) == \
        ("198001012005011002", "Dadang Suherman", "regu:B", None)


def test_comma_separated_file_without_optional_columns():
    parsed = read("nip,nama,unit_kode,jabatan\n198503122010011003,\"Asep, S.Pd.\",SMPN-1,Guru Ahli Muda\n")
    assert parsed.problems == [] and parsed.columns == ("nip", "nama", "unit_kode", "jabatan")
    assert not parsed.has("pin") and parsed.rows[0].name == "Asep, S.Pd."


@pytest.mark.parametrize("text, expected", [
    ("", ["line 1: header: berkas kosong atau baris judul kosong / the file is empty or its header line is blank"]),
    ("nip;nama;unit;jabatan;foto\n", [
        "line 1: unit: kolom tidak dikenal (kolom yang dikenal: nip, nama, unit_kode, jabatan, jadwal, pin, "
        "penugasan, aktif_sampai) / unknown column (known columns: nip, nama, unit_kode, jabatan, jadwal, pin, "
        "penugasan, aktif_sampai)",
        "line 1: foto: kolom tidak dikenal (kolom yang dikenal: nip, nama, unit_kode, jabatan, jadwal, pin, "
        "penugasan, aktif_sampai) / unknown column (known columns: nip, nama, unit_kode, jabatan, jadwal, pin, "
        "penugasan, aktif_sampai)",
        "line 1: unit_kode: kolom wajib tidak ada / required column is missing"]),
    ("nip;nama;unit_kode;jabatan;nip\n", ["line 1: nip: kolom muncul dua kali / the column appears twice"]),
    (HEADER + "\n\n", ["line 2: file: tidak ada baris pegawai / there are no employee rows"]),
])
def test_header_and_empty_file_problems(text, expected):
    assert read(text).problems == expected


def test_a_file_that_is_not_utf8_names_the_line():
    text = HEADER + "198503122010011003;Asep;SMPN-1;Guru;;;\n198001012005011002;Désiré;SMPN-1;Guru;;;\n"
    assert read(text, encoding="latin-1").problems == [
        "line 3: file: berkas bukan UTF-8; simpan dari Excel sebagai 'CSV UTF-8' / "
        "the file is not UTF-8; save it from Excel as 'CSV UTF-8'"]


def test_plan_counts_inserts_updates_unchanged_and_pins_held_outside_the_file():
    parsed = read(HEADER + "198503122010011003;Asep;SMPN-1;Guru;;2001;\n"
                           "198001012005011002;Dadang;DAMKAR;Kepala Regu;regu:A;2002;\n"
                           "199107252019032011;Siti;DINKES;Bidan;;2003;\n")
    asep, dadang, _ = (row_values(r) for r in parsed.rows)
    existing = {asep["nip"]: dict(asep), dadang["nip"]: dict(dadang, unit_code="DINKES", terminal_pin="9")}
    plan = plan_import(parsed, existing, pin_holders={"2003": "197001012000011001"})
    assert [v["nip"] for v in plan.inserts] == ["199107252019032011"] and plan.unchanged == 1
    (update,) = plan.updates
    assert update["before"] == {"unit_code": "DINKES", "terminal_pin": "9"}
    assert update["after"] == {"unit_code": "DAMKAR", "terminal_pin": "2002"}
    assert plan.problems == [
        "line 4: pin: PIN 2003 sudah dipakai pegawai NIP 197001012000011001 (tidak ada di berkas ini) / "
        "PIN 2003 already belongs to employee NIP 197001012000011001 (not in this file)"]


def test_generated_file_is_valid_and_spread_over_the_units():
    people = generate_employees(CITY, 2000, seed=3)
    buf = io.StringIO()
    write_csv(people, buf)
    parsed = read_employees(buf.getvalue().encode(), CITY)
    assert parsed.problems == [] and len(parsed.rows) == 2000
    counts = headcounts(CITY, 2000)
    assert sum(counts.values()) == 2000 and set(counts) == set(CITY.unit_by_code)
    kind = {u.code: u.kind for u in CITY.units}
    assert max(n for c, n in counts.items() if kind[c] in ("sekolah", "kelurahan")) < \
        min(n for c, n in counts.items() if kind[c] == "dinas")
    assert any(r.terminal_pin for r in parsed.rows) and any(not r.terminal_pin for r in parsed.rows)
    assert all(r.schedule_code and r.schedule_code.startswith("regu:") for r in parsed.rows
               if r.unit_code == "DAMKAR" and not r.position.startswith("Kepala Dinas"))
    assert any(r.assigned_units for r in parsed.rows)
    assert any(", S.Pd." in r.name for r in parsed.rows if kind[r.unit_code] == "sekolah")
    assert generate_employees(CITY, 2000, seed=3) == people
