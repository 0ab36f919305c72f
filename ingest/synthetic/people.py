"""Synthetic civil servants: realistic names and valid NIPs, deterministic from a seed.

Used by the demo-data generator, the tests and the benchmarks, and by
`pantau employees generate` to write an import file for a region. Names mix the
Sundanese, Javanese and Bantenese given names and the Muslim names common in Banten,
with the academic titles a BKPP list carries (S.Pd., S.Kep., A.Md., ...).
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, replace

from ..employees_import import COLUMNS, Employee
from ..nip import age_at, make_nip

# A fixed "today" so the same seed gives the same people whatever the date.
REFERENCE = dt.date(2026, 1, 1)

MALE_GIVEN = {
    "sunda": ["Asep", "Ujang", "Dadang", "Cecep", "Deden", "Endang", "Iwan", "Jajang", "Yayan", "Didin",
              "Aep", "Ade", "Dede", "Engkus", "Oman", "Ujang", "Usep", "Enjang", "Dadan", "Yudi"],
    "jawa": ["Budi", "Joko", "Slamet", "Bambang", "Sugeng", "Wahyu", "Teguh", "Eko", "Dwi", "Tri", "Hadi",
             "Agung", "Bayu", "Heru", "Priyo", "Agus", "Rudi", "Hendro", "Yoyok", "Bagus"],
    "islam": ["Muhamad", "Mohamad", "Ahmad", "Abdul", "Syarif", "Hasan", "Husen", "Rahmat", "Fauzi", "Ikhsan",
              "Ridwan", "Arif", "Imam", "Irfan", "Lukman", "Mukhlis", "Nasrul", "Sulaeman", "Zaenal", "Saiful"],
    "muda": ["Rizky", "Fajar", "Dimas", "Aditya", "Ilham", "Reza", "Rangga", "Yoga", "Andika", "Galih",
             "Fikri", "Hafiz", "Naufal", "Rafi", "Bima"],
}
MALE_FAMILY = ["Hidayat", "Rahman", "Hakim", "Saputra", "Permana", "Gunawan", "Kusnadi", "Suherman", "Sudrajat",
               "Sopian", "Maulana", "Firmansyah", "Nugraha", "Ramdani", "Setiadi", "Kurniawan", "Pratama", "Wijaya",
               "Susanto", "Hermawan", "Syahputra", "Mulyana", "Sumarna", "Supriatna", "Saepudin", "Jaenudin",
               "Jamaludin", "Komarudin", "Nurdin", "Mulyadi", "Sukardi", "Santoso", "Prasetyo", "Widodo",
               "Nugroho", "Setiawan", "Sutrisno", "Supriyadi", "Suyanto", "Hidayatullah", "Fadilah", "Rosyadi"]
FEMALE_GIVEN = {
    "sunda": ["Euis", "Neneng", "Imas", "Iis", "Lilis", "Nining", "Yuyun", "Eneng", "Entin", "Enung", "Titin",
              "Nenden", "Cucu", "Popon", "Elis"],
    "jawa": ["Sri", "Dewi", "Tuti", "Endah", "Wulan", "Ratna", "Rini", "Yanti", "Wati", "Lestari", "Kartika",
             "Sulastri", "Sumarni", "Tri", "Dwi"],
    "islam": ["Siti", "Nur", "Nurul", "Aisyah", "Khodijah", "Fatimah", "Hasanah", "Laila", "Umi", "Zahra",
              "Maryam", "Halimah", "Rohmah", "Aminah", "Jamilah"],
    "muda": ["Putri", "Anisa", "Nabila", "Salsabila", "Aulia", "Indah", "Intan", "Ayu", "Tiara", "Dinda",
             "Rahma", "Syifa", "Citra", "Amelia", "Novita"],
}
FEMALE_FAMILY = ["Rahmawati", "Nurhasanah", "Handayani", "Kurniasih", "Permatasari", "Fitriani", "Susanti",
                 "Maryani", "Wulandari", "Yuliani", "Lestari", "Anggraeni", "Puspitasari", "Komalasari", "Nurjanah",
                 "Hermawati", "Rosdiana", "Nurhayati", "Mulyani", "Suryani", "Wahyuni", "Rohayati", "Fauziah",
                 "Hidayati", "Sholihah", "Mardiyah", "Kusumawati", "Ningsih", "Apriyani", "Safitri"]

# profile -> (share of women, [(weight, front title, back titles)])
PROFILES = {
    "guru": (0.68, [(50, "", "S.Pd."), (10, "", "S.Pd.I."), (10, "", "S.Pd., M.Pd."), (5, "", "S.Si."),
                    (4, "", "S.Ag."), (3, "Dra.", "")]),
    "perawat": (0.7, [(35, "", "A.Md.Kep."), (30, "Ns.", "S.Kep."), (10, "", "S.Kep.")]),
    "bidan": (1.0, [(60, "", "A.Md.Keb."), (20, "", "S.Tr.Keb."), (10, "", "S.Keb.")]),
    "dokter": (0.6, [(70, "dr.", ""), (15, "drg.", ""), (10, "dr.", "M.Kes.")]),
    "nakes": (0.6, [(30, "", "A.Md.AK."), (30, "", "S.Gz."), (20, "", "A.Md.KL."), (20, "apt.", "S.Farm.")]),
    "damkar": (0.05, [(70, "", ""), (15, "", "S.H."), (15, "", "A.Md.")]),
    "satpol": (0.15, [(60, "", ""), (25, "", "S.H."), (15, "", "S.Sos.")]),
    "umum": (0.45, [(25, "", ""), (10, "", "A.Md."), (10, "", "S.E."), (8, "", "S.H."), (8, "", "S.Sos."),
                    (6, "", "S.IP."), (6, "", "S.Kom."), (6, "", "S.T."), (5, "", "S.AP."), (4, "", "S.STP."),
                    (5, "", "S.E., M.M."), (4, "", "S.Sos., M.Si."), (3, "Drs.", "M.Si."), (2, "Ir.", "")]),
    "pimpinan": (0.3, [(30, "", "S.STP., M.Si."), (25, "", "S.E., M.M."), (20, "Drs.", "M.Si."),
                       (15, "", "S.H., M.H."), (10, "Dr.", "S.Sos., M.Si.")]),
}

HEADS = {
    "sekretariat": "Sekretaris Daerah", "sekretariat_dprd": "Sekretaris DPRD", "inspektorat": "Inspektur",
    "dinas": "Kepala Dinas", "badan": "Kepala Badan", "kantor": "Kepala Kantor", "biro": "Kepala Biro",
    "satpol_pp": "Kepala Satuan Polisi Pamong Praja", "kecamatan": "Camat", "kelurahan": "Lurah",
    "uptd": "Kepala UPTD", "sekolah": "Kepala Sekolah", "puskesmas": "Kepala Puskesmas", "rsud": "Direktur",
    "lainnya": "Kepala",
}
_OFFICE_STAFF = [(4, "Sekretaris", "pimpinan"), (6, "Kepala Bidang", "pimpinan"),
                 (6, "Kepala Subbagian Umum dan Kepegawaian", "umum"), (8, "Analis Kebijakan Ahli Muda", "umum"),
                 (6, "Perencana Ahli Pertama", "umum"), (6, "Pranata Komputer Ahli Pertama", "umum"),
                 (5, "Arsiparis Terampil", "umum"), (6, "Analis Keuangan Pusat dan Daerah Ahli Pertama", "umum"),
                 (5, "Analis Sumber Daya Manusia Aparatur Ahli Pertama", "umum"),
                 (14, "Pengadministrasi Perkantoran", "umum"), (12, "Pengelola Layanan Operasional", "umum"),
                 (10, "Penata Layanan Operasional", "umum"), (6, "Operator Layanan Operasional", "umum"),
                 (4, "Pranata Hubungan Masyarakat Ahli Pertama", "umum")]
STAFF = {
    "sekolah": [(45, "Guru Ahli Pertama", "guru"), (25, "Guru Ahli Muda", "guru"), (15, "Guru Ahli Madya", "guru"),
                (8, "Pengelola Layanan Operasional", "umum"), (5, "Penata Layanan Operasional", "umum")],
    "puskesmas": [(25, "Perawat Terampil", "perawat"), (12, "Perawat Ahli Pertama", "perawat"),
                  (20, "Bidan Terampil", "bidan"), (6, "Bidan Ahli Pertama", "bidan"),
                  (6, "Dokter Ahli Pertama", "dokter"), (3, "Dokter Gigi Ahli Pertama", "dokter"),
                  (8, "Pranata Laboratorium Kesehatan Terampil", "nakes"), (4, "Nutrisionis Terampil", "nakes"),
                  (4, "Sanitarian Terampil", "nakes"), (3, "Apoteker Ahli Pertama", "nakes"),
                  (9, "Pengadministrasi Perkantoran", "umum")],
    "kelurahan": [(10, "Sekretaris Kelurahan", "umum"), (12, "Kepala Seksi Pemerintahan", "umum"),
                  (10, "Kepala Seksi Ekonomi dan Pembangunan", "umum"), (10, "Kepala Seksi Kesejahteraan Sosial", "umum"),
                  (30, "Pengadministrasi Perkantoran", "umum"), (28, "Pengelola Layanan Operasional", "umum")],
    "kecamatan": [(6, "Sekretaris Kecamatan", "pimpinan"), (10, "Kepala Seksi Pemerintahan", "umum"),
                  (8, "Kepala Seksi Ketenteraman dan Ketertiban Umum", "umum"),
                  (8, "Kepala Subbagian Umum dan Kepegawaian", "umum"), (10, "Analis Kebijakan Ahli Pertama", "umum"),
                  (30, "Pengadministrasi Perkantoran", "umum"), (28, "Pengelola Layanan Operasional", "umum")],
    "satpol_pp": [(40, "Polisi Pamong Praja Terampil", "satpol"), (25, "Polisi Pamong Praja Mahir", "satpol"),
                  (10, "Polisi Pamong Praja Ahli Pertama", "satpol"), (8, "Kepala Seksi Penegakan Perda", "satpol"),
                  (17, "Pengadministrasi Perkantoran", "umum")],
    "inspektorat": [(30, "Auditor Ahli Pertama", "umum"), (20, "Auditor Ahli Muda", "umum"),
                    (10, "Auditor Ahli Madya", "umum"), (10, "Inspektur Pembantu", "pimpinan"),
                    (15, "Pengawas Penyelenggaraan Urusan Pemerintahan Daerah Ahli Pertama", "umum"),
                    (15, "Pengadministrasi Perkantoran", "umum")],
    "shift": [(15, "Analis Kebakaran Ahli Pertama", "damkar"), (35, "Pemadam Kebakaran Pemula", "damkar"),
              (25, "Pemadam Kebakaran Terampil", "damkar"), (12, "Pemadam Kebakaran Mahir", "damkar"),
              (13, "Kepala Regu", "damkar")],
}
# Relative headcount per unit kind (a dinas is bigger than a kelurahan or a school's ASN staff).
WEIGHTS = {"sekretariat": 10, "dinas": 6, "badan": 6, "satpol_pp": 7, "inspektorat": 4, "sekretariat_dprd": 4,
           "biro": 4, "kantor": 3, "rsud": 10, "kecamatan": 2.5, "puskesmas": 2, "sekolah": 1.6, "uptd": 1.2,
           "kelurahan": 1.0, "lainnya": 2}
# Units whose offices have fingerprint terminals for everyone (schools without signal, shifts).
TERMINAL_KINDS = {"sekolah", "puskesmas", "kelurahan"}


@dataclass(frozen=True)
class Person:
    nip: str
    name: str
    sex: str                # 'L' or 'P'
    birth_date: dt.date
    appointed: tuple[int, int]


@dataclass(frozen=True)
class SyntheticEmployee(Employee):
    sex: str = "L"
    birth_date: dt.date = REFERENCE


class People:
    """Names and NIPs; the same seed gives the same sequence of people."""

    def __init__(self, seed: int = 1, reference: dt.date = REFERENCE):
        self.rng = random.Random(seed)
        self.reference = reference
        self.nips: set[str] = set()

    def person(self, profile: str = "umum", min_age: int = 22) -> Person:
        rng = self.rng
        female_share, titles = PROFILES[profile]
        sex = "P" if rng.random() < female_share else "L"
        age = min(57, max(min_age, round(rng.triangular(21, 58, 42))))
        birth = self.reference - dt.timedelta(days=age * 365 + rng.randrange(365))
        appointed = self._appointment(birth)
        name = self._name(sex, age)
        front, back = _weighted(rng, titles)
        if age >= 40 and rng.random() < 0.12:  # haji
            front = ("H." if sex == "L" else "Hj.") + (f" {front}" if front else "")
        full = " ".join(p for p in (front, name) if p) + (f", {back}" if back else "")
        return Person(nip=self._nip(birth, appointed, sex), name=full, sex=sex, birth_date=birth, appointed=appointed)

    def _appointment(self, birth: dt.date) -> tuple[int, int]:
        rng, last_year = self.rng, self.reference.year - 1
        if rng.random() < 0.2:   # PPPK, appointed in the 2021-2025 waves at any age
            year = rng.randint(max(2021, birth.year + 19), last_year) if birth.year + 19 <= last_year else last_year
        else:                    # CPNS, at most 35 at appointment
            year = min(last_year, birth.year + round(rng.triangular(19, 35, 25)))
        month = rng.choice((1, 1, 1, 3, 4, 12))
        while age_at(birth, year, month) < 19:
            year += 1
        return year, month

    def _nip(self, birth: dt.date, appointed: tuple[int, int], sex: str) -> str:
        while True:
            nip = make_nip(birth, appointed, sex, self.rng.randint(1, 999))
            if nip not in self.nips:
                self.nips.add(nip)
                return nip

    def _name(self, sex: str, age: int) -> str:
        rng = self.rng
        given, family = (MALE_GIVEN, MALE_FAMILY) if sex == "L" else (FEMALE_GIVEN, FEMALE_FAMILY)
        style = rng.choices(["sunda", "jawa", "islam", "muda"], weights=[30, 25, 30, 15 if age < 35 else 3])[0]
        first = rng.choice(given[style])
        shape = rng.random()
        if style == "jawa" and shape < 0.12:
            return rng.choice(family)                          # one name: Sutrisno
        if shape < 0.25:
            middle = rng.choice(given["islam" if style != "islam" else "muda"])
            parts = [first, middle, rng.choice(family)]       # Muhamad Rizky Hidayat
        else:
            parts = [first, rng.choice(family)]                # Asep Saepudin
        if sex == "L" and style == "islam" and rng.random() < 0.04:
            parts.insert(0, "Tb.")                             # Tubagus, Banten's nobility
        elif sex == "P" and rng.random() < 0.02:
            parts.insert(0, "Ratu")
        return " ".join(dict.fromkeys(parts))


def _weighted(rng: random.Random, options: list[tuple]) -> tuple:
    choice = rng.choices(options, weights=[o[0] for o in options])[0]
    return choice[1:]


def headcounts(config, count: int) -> dict[str, int]:
    """Employees per unit: by kind weight, largest remainder, each unit one at least when there are enough."""
    units = config.units
    weights = [WEIGHTS.get(u.kind, 2) for u in units]
    floor = 1 if count >= len(units) else 0
    spare = count - floor * len(units)
    shares = [spare * w / sum(weights) for w in weights]
    out = [floor + int(s) for s in shares]
    by_remainder = sorted(range(len(units)), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in by_remainder[: count - sum(out)]:
        out[i] += 1
    return {u.code: n for u, n in zip(units, out) if n}


def generate_employees(config, count: int, seed: int = 1, reference: dt.date = REFERENCE) -> list[SyntheticEmployee]:
    """`count` employees spread over the region's units, deterministic from `seed`."""
    people = People(seed, reference)
    rng = people.rng
    out: list[SyntheticEmployee] = []
    next_pin = 1001
    for code, n in headcounts(config, count).items():
        unit = config.unit_by_code[code]
        schedule = config.schedule_by_code[config.unit_schedule(code)]
        staff = STAFF.get("shift" if schedule.is_shift else unit.kind, _OFFICE_STAFF)
        groups = sorted(schedule.groups or {})
        # penugasan: a teacher also at a neighbouring school, a Dinkes officer at a puskesmas
        siblings = [u.code for u in config.children.get(unit.parent, [])
                    if u.code != code and u.kind == unit.kind and u.kind in TERMINAL_KINDS]
        children = [u.code for u in config.children.get(code, [])]
        for k in range(n):
            if k == 0:
                position, profile = HEADS.get(unit.kind, "Kepala"), "pimpinan"
                if unit.kind == "sekolah":
                    profile = "guru"
                elif unit.kind == "puskesmas":
                    profile = "dokter"
            else:
                position, profile = _weighted(rng, staff)
            person = people.person(profile, min_age=42 if k == 0 else 22)
            jadwal = None
            if groups:  # the roster's regu in turn; the head keeps office hours
                jadwal = f"{schedule.code}:{groups[k % len(groups)]}" if k else config.default_schedule
            pin = None
            if schedule.is_shift or unit.kind in TERMINAL_KINDS or rng.random() < 0.1:
                pin, next_pin = str(next_pin), next_pin + 1
            assigned: tuple[str, ...] = ()
            if k and rng.random() < 0.04 and (siblings or children):
                assigned = (rng.choice(siblings or children),)
            out.append(SyntheticEmployee(
                nip=person.nip, name=person.name, unit_code=code, position=position, schedule_code=jadwal,
                terminal_pin=pin, assigned_units=assigned, sex=person.sex, birth_date=person.birth_date))
    return out


def free_pins(employees: list[SyntheticEmployee], taken: set[str]) -> list[SyntheticEmployee]:
    """`employees` to add beside people holding the `taken` terminal PINs: a PIN already held
    moves to the next free number (a larger region's numbering differs from a smaller one's,
    so topping a demo up from 300 to 600 people once collided on the unique PIN)."""
    taken = set(taken)
    next_pin = max((int(p) for p in taken if p.isdigit()), default=1000) + 1
    out = []
    for e in employees:
        if e.terminal_pin is not None and e.terminal_pin in taken:
            while str(next_pin) in taken:
                next_pin += 1
            e = replace(e, terminal_pin=str(next_pin))
        if e.terminal_pin is not None:
            taken.add(e.terminal_pin)
        out.append(e)
    return out


def write_csv(employees: list[SyntheticEmployee], out) -> None:
    """An import file for `pantau employees import` (comma separated, UTF-8)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c for c in COLUMNS if c != "aktif_sampai"])   # nobody generated has left
    for e in employees:
        writer.writerow([e.nip, e.name, e.unit_code, e.position, e.schedule_code or "", e.terminal_pin or "",
                         ";".join(e.assigned_units)])
