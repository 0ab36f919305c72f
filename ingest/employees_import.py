"""BKPP's employee master data (CSV) read and checked, without touching the database.

Columns: nip, nama, unit_kode, jabatan (required); jadwal, pin, penugasan (optional).
An optional column left out of the header keeps what the database has; present but
empty clears it (jadwal: the unit's schedule; pin: the NIP is the PIN; penugasan: none).
Every problem is a line `line N: <column>: <Indonesian> / <English>`; a file with any
problem is imported not at all.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from dataclasses import dataclass, field

from .nip import NipError, parse_nip

REQUIRED = ("nip", "nama", "unit_kode", "jabatan")
OPTIONAL = ("jadwal", "pin", "penugasan", "aktif_sampai")
COLUMNS = REQUIRED + OPTIONAL
_PIN = re.compile(r"^[0-9]{1,9}$")  # ZKTeco user IDs: digits, at most 9 on most firmware
MAX_NAME = 120
_REPEATED = {"nip": ("NIP {} sudah ada di baris {}", "NIP {} is already on line {}"),
             "pin": ("PIN {} sudah dipakai di baris {}", "PIN {} is already used on line {}")}


@dataclass(frozen=True)
class Employee:
    """One employee as BKPP's file describes them."""

    nip: str
    name: str
    unit_code: str
    position: str
    schedule_code: str | None = None    # jadwal: a schedule code or 'regu:B'; None: the unit's
    terminal_pin: str | None = None     # None: the NIP is the PIN
    assigned_units: tuple[str, ...] = ()
    active_until: dt.date | None = None    # aktif_sampai: last day in service (pensiun, mutasi keluar)


@dataclass(frozen=True)
class EmployeeRow(Employee):
    line: int = 0


@dataclass
class EmployeeFile:
    rows: list[EmployeeRow] = field(default_factory=list)
    columns: tuple[str, ...] = ()      # the columns the header had
    problems: list[str] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.columns


def problem(line: int | str, column: str, id_reason: str, en_reason: str) -> str:
    return f"line {line}: {column}: {id_reason} / {en_reason}"


def decode(data: bytes) -> tuple[str | None, str | None]:
    """The text of a UTF-8 file (with or without BOM), or a problem naming the bad line."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, problem(line, "file", "berkas bukan UTF-8; simpan dari Excel sebagai 'CSV UTF-8'",
                             "the file is not UTF-8; save it from Excel as 'CSV UTF-8'")


def read_employees(data: bytes, config, today: dt.date | None = None) -> EmployeeFile:
    """Parse and check an import file against the region config."""
    text, bad = decode(data)
    if bad:
        return EmployeeFile(problems=[bad])
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        return EmployeeFile(problems=[problem(1, "header", "berkas kosong atau baris judul kosong",
                                             "the file is empty or its header line is blank")])
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","  # a single-column header: the column check below explains
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    out = EmployeeFile(columns=tuple(header))
    out.problems += _check_header(header)
    if out.problems:
        return out
    checker = _RowChecker(config, today or dt.date.today())
    line = 1
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            out.problems.append(problem(start, "row", f"ada {len(cells)} kolom, baris judul punya {len(header)} "
                                        f"(pemisah '{delimiter}' di dalam nilai harus diapit tanda kutip)",
                                        f"has {len(cells)} columns, the header has {len(header)} "
                                        f"(a '{delimiter}' inside a value needs quotes)"))
            continue
        row, problems = checker.check(start, dict(zip(header, (c.strip() for c in cells))))
        out.problems += problems
        if row:
            out.rows.append(row)
    if not out.rows and not out.problems:
        out.problems.append(problem(2, "file", "tidak ada baris pegawai", "there are no employee rows"))
    return out


def _check_header(header: list[str]) -> list[str]:
    out = []
    for name in header:
        if name not in COLUMNS:
            out.append(problem(1, name or "(empty)", f"kolom tidak dikenal (kolom yang dikenal: {', '.join(COLUMNS)})",
                               f"unknown column (known columns: {', '.join(COLUMNS)})"))
    for name in sorted({h for h in header if header.count(h) > 1}):
        out.append(problem(1, name, "kolom muncul dua kali", "the column appears twice"))
    for name in REQUIRED:
        if name not in header:
            out.append(problem(1, name, "kolom wajib tidak ada", "required column is missing"))
    return out


class _RowChecker:
    """Checks one row at a time; remembers NIPs and PINs to catch duplicates within the file."""

    def __init__(self, config, today: dt.date):
        self.config, self.today = config, today
        self.first_line: dict[str, dict[str, int]] = {"nip": {}, "pin": {}}

    def check(self, line: int, cell: dict[str, str]) -> tuple[EmployeeRow | None, list[str]]:
        out: list[str] = []
        nip = self._nip(line, cell["nip"], out)
        name = re.sub(r"\s+", " ", cell["nama"])
        if not name:
            out.append(problem(line, "nama", "nama kosong", "name is empty"))
        elif len(name) > MAX_NAME:
            out.append(problem(line, "nama", f"nama lebih dari {MAX_NAME} karakter",
                               f"name is longer than {MAX_NAME} characters"))
        unit = cell["unit_kode"].upper()
        if not self._known_unit(line, "unit_kode", unit, out):
            unit = None
        schedule = self._schedule(line, cell.get("jadwal", ""), out)
        pin = self._pin(line, cell.get("pin", ""), out)
        self._once(line, "nip", nip, out)
        self._once(line, "pin", pin, out)
        assigned = self._assigned(line, cell.get("penugasan", ""), unit, out)
        until = _last_day(line, cell.get("aktif_sampai", ""), out)
        if out:
            return None, out
        return EmployeeRow(line=line, nip=nip, name=name, unit_code=unit, position=cell["jabatan"],
                           schedule_code=schedule, terminal_pin=pin, assigned_units=assigned,
                           active_until=until), []

    def _nip(self, line: int, value: str, out: list[str]) -> str | None:
        if not value:
            out.append(problem(line, "nip", "NIP kosong", "NIP is empty"))
            return None
        try:
            nip = parse_nip(value, today=self.today).value
        except NipError as exc:
            out.append(problem(line, "nip", exc.id, exc.en))
            return None
        return nip

    def _once(self, line: int, column: str, value: str | None, out: list[str]) -> None:
        """NIPs and PINs are unique within the file."""
        seen = self.first_line[column]
        if value and value in seen:
            id_text, en_text = _REPEATED[column]
            out.append(problem(line, column, id_text.format(value, seen[value]), en_text.format(value, seen[value])))
        elif value:
            seen[value] = line

    def _known_unit(self, line: int, column: str, code: str, out: list[str]) -> bool:
        if code in self.config.unit_by_code:
            return True
        if not code:
            out.append(problem(line, column, "kode unit kosong", "unit code is empty"))
            return False
        close = difflib.get_close_matches(code, list(self.config.unit_by_code), n=1)
        hint_id = f" (maksud Anda {close[0]}?)" if close else ""
        hint_en = f" (did you mean {close[0]}?)" if close else ""
        out.append(problem(line, column, f"{code!r} bukan kode unit{hint_id}", f"{code!r} is not a unit code{hint_en}"))
        return False

    def _schedule(self, line: int, value: str, out: list[str]) -> str | None:
        if not value:
            return None
        try:
            self.config.resolve_schedule(value)
        except KeyError:
            known = []
            for s in self.config.schedules:
                known += [s.code] + [f"{s.code}:{g}" for g in (s.groups or {})]
            out.append(problem(line, "jadwal", f"{value!r} bukan jadwal atau regu (pilihan: {', '.join(known)})",
                               f"{value!r} is not a schedule or shift group (choices: {', '.join(known)})"))
        return value

    def _pin(self, line: int, value: str, out: list[str]) -> str | None:
        if not value:
            return None
        if not _PIN.match(value):
            out.append(problem(line, "pin", f"PIN harus 1-9 digit angka, tertulis {value!r}",
                               f"PIN must be 1-9 digits, got {value!r}"))
            return None
        return value

    def _assigned(self, line: int, value: str, unit: str | None, out: list[str]) -> tuple[str, ...]:
        codes = [c.strip().upper() for c in value.split(";") if c.strip()]
        for code in codes:
            if not self._known_unit(line, "penugasan", code, out):
                continue
            if code == unit:
                out.append(problem(line, "penugasan", f"{code} adalah unit pegawai itu sendiri",
                                   f"{code} is the employee's own unit"))
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            out.append(problem(line, "penugasan", f"{code} ditulis dua kali", f"{code} is listed twice"))
        return tuple(dict.fromkeys(codes))


def _last_day(line: int, value: str, out: list[str]) -> dt.date | None:
    """aktif_sampai as 2027-04-30 or 30/04/2027; empty: in service."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    out.append(problem(line, "aktif_sampai", f"tanggal {value!r} tidak sah (tulis 2027-04-30 atau 30/04/2027)",
                       f"date {value!r} is not valid (write 2027-04-30 or 30/04/2027)"))
    return None


# --- what the file changes -----------------------------------------------------------

FIELDS = ("name", "unit_code", "position", "schedule_code", "terminal_pin", "assigned_units", "active",
          "active_until")
_OPTIONAL_FIELD = {"jadwal": "schedule_code", "pin": "terminal_pin", "penugasan": "assigned_units",
                   "aktif_sampai": "active_until"}


@dataclass
class ImportPlan:
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)   # {"nip", "before", "after", "row"}
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    # which optional columns the file sets (absent ones keep what the database has)
    sets: frozenset[str] = frozenset()


def row_values(row: EmployeeRow) -> dict:
    return {"nip": row.nip, "name": row.name, "unit_code": row.unit_code, "position": row.position,
            "schedule_code": row.schedule_code, "terminal_pin": row.terminal_pin,
            "assigned_units": list(row.assigned_units), "active": True, "active_until": row.active_until}


def plan_import(parsed: EmployeeFile, existing: dict[str, dict], pin_holders: dict[str, str]) -> ImportPlan:
    """Compare the file with the employees the database has.

    `existing`: nip -> current values (FIELDS); `pin_holders`: terminal PIN -> NIP of the
    employee holding it now, for the PINs in the file.
    """
    sets = frozenset(f for col, f in _OPTIONAL_FIELD.items() if parsed.has(col))
    fields = [f for f in FIELDS if f not in _OPTIONAL_FIELD.values() or f in sets]
    plan = ImportPlan(sets=sets)
    in_file = {r.nip for r in parsed.rows}
    for row in parsed.rows:
        holder = pin_holders.get(row.terminal_pin) if "terminal_pin" in sets and row.terminal_pin else None
        if holder and holder != row.nip and holder not in in_file:
            plan.problems.append(problem(
                row.line, "pin", f"PIN {row.terminal_pin} sudah dipakai pegawai NIP {holder} (tidak ada di berkas ini)",
                f"PIN {row.terminal_pin} already belongs to employee NIP {holder} (not in this file)"))
        values = row_values(row)
        current = existing.get(row.nip)
        if current is None:
            plan.inserts.append(values)
            continue
        before = {f: _comparable(current[f]) for f in fields if _comparable(current[f]) != _comparable(values[f])}
        if before:
            plan.updates.append({"nip": row.nip, "before": before,
                                 "after": {f: values[f] for f in before}, "row": values})
        else:
            plan.unchanged += 1
    return plan


def _comparable(value):
    return sorted(value) if isinstance(value, (list, tuple)) else value
