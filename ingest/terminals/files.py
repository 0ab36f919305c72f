"""USB log files: the terminal's `*_attlog.dat` export (tab-separated ATTLOG lines) and CSV.

Lines go through the same store-and-apply path as pushed ones, keyed the same way, so a
file imported twice, or a file whose lines were pushed too, changes nothing the second time.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from . import protocol, punches
from .protocol import AttLog, BadLine

PIN_COLUMNS = ("pin", "user_id", "userid", "user id", "ac-no", "ac_no", "no", "id", "nip", "enroll_no")
TIME_COLUMNS = ("datetime", "date_time", "timestamp", "checktime", "check_time", "waktu", "time")
DATE_COLUMNS = ("date", "tanggal", "tgl")
CLOCK_COLUMNS = ("time", "jam")
SN_COLUMNS = ("sn", "serial", "serial_number", "device_sn", "terminal")
STATE_COLUMNS = ("status", "state", "punch", "checktype", "check_type")
VERIFY_COLUMNS = ("verify", "verifycode", "verify_code", "verifymode")


class ImportFileError(ValueError):
    """A file that cannot be imported at all; the message names the file and what is wrong."""


@dataclass
class Parsed:
    by_sn: dict[str | None, tuple[list[AttLog], list[BadLine]]]
    kind: str


def read(path: Path) -> Parsed:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read ({exc.strerror})") from None
    text = protocol.decode(data).lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise ImportFileError(f"{path}: the file is empty")
    if _is_header(first) or ("\t" not in first and re.search(r"[,;]", first)):
        return Parsed(_read_csv(path, text), "csv")
    return Parsed({None: protocol.parse_attlog(text)}, "attlog")


def _norm(name: str) -> str:
    return name.strip().strip('"').lower()


def _is_header(line: str) -> bool:
    cells = {_norm(c) for c in re.split(r"[,;\t]", line)}
    return bool(cells & set(PIN_COLUMNS)) and bool(cells & set(TIME_COLUMNS + DATE_COLUMNS))


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in columns:
            return name
    return None


def _read_csv(path: Path, text: str) -> dict[str | None, tuple[list[AttLog], list[BadLine]]]:
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [_norm(c) for c in next(reader)]
    pin_col = _pick(header, PIN_COLUMNS)
    time_col = _pick(header, TIME_COLUMNS)
    date_col = _pick(header, DATE_COLUMNS)
    clock_col = _pick(header, CLOCK_COLUMNS)
    if date_col and clock_col == time_col:
        time_col = None     # separate date and time columns
    if pin_col is None or (time_col is None and not (date_col and clock_col)):
        raise ImportFileError(f"{path}: CSV header needs a PIN column ({', '.join(PIN_COLUMNS[:4])}) and a "
                              f"time column ({', '.join(TIME_COLUMNS[:3])}) or date + time columns; "
                              f"found: {', '.join(header)}")
    sn_col, state_col, verify_col = _pick(header, SN_COLUMNS), _pick(header, STATE_COLUMNS), \
        _pick(header, VERIFY_COLUMNS)
    out: dict[str | None, tuple[list[AttLog], list[BadLine]]] = {}
    for n, cells in enumerate(reader, 2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells)))
        when = row.get(time_col, "") if time_col else f"{row.get(date_col, '')} {row.get(clock_col, '')}"
        line = "\t".join([row.get(pin_col, ""), when, row.get(state_col, "") if state_col else "",
                          row.get(verify_col, "") if verify_col else ""])
        parsed = protocol.parse_attlog_line(line, n)
        if isinstance(parsed, BadLine):
            parsed = BadLine(",".join(cells), parsed.reason, n, parsed.code)
        records, bad = out.setdefault(row.get(sn_col) or None if sn_col else None, ([], []))
        (records if isinstance(parsed, AttLog) else bad).append(parsed)
    return out


def sn_from_name(path: Path) -> str | None:
    """`<SN>_attlog.dat`, as some firmware names its USB export."""
    stem = path.name.split("_attlog", 1)[0] if "_attlog" in path.name.lower() else ""
    return stem if protocol.valid_sn(stem) and not stem.isdigit() else None


def import_file(rt, path: Path, sn: str | None = None) -> dict[str, punches.Outcome]:
    """Import one file; returns the outcome per terminal SN."""
    parsed = read(path)
    targets = {}
    for file_sn in parsed.by_sn:
        target = sn or file_sn or sn_from_name(path)
        if not target:
            raise ImportFileError(f"{path}: which terminal is this from? Give --sn SERIAL "
                                  "(or a CSV 'sn' column, or name the file <SN>_attlog.dat)")
        if not protocol.valid_sn(target):
            raise ImportFileError(f"{path}: terminal serial number {target!r} is not valid")
        targets[file_sn] = target
    results: dict[str, punches.Outcome] = {}
    for file_sn, (records, bad) in parsed.by_sn.items():
        records, bad, repeated = once_each(records, bad)
        outcome = punches.receive(rt, targets[file_sn], records, bad, via="file", defer_live=False)
        outcome.repeated = repeated
        results.setdefault(targets[file_sn], punches.Outcome()).add(outcome)
    return results


def once_each(records: list[AttLog], bad: list[BadLine]) -> tuple[list[AttLog], list[BadLine], int]:
    """A line repeated inside one file (exports copied together, a file appended twice) is
    one line: the first of each, and how many repeats were left out."""
    first_records: dict[str, AttLog] = {}
    first_bad: dict[str, BadLine] = {}
    for r in records:
        first_records.setdefault(r.raw, r)
    for b in bad:
        first_bad.setdefault(b.raw, b)
    repeated = len(records) + len(bad) - len(first_records) - len(first_bad)
    return list(first_records.values()), list(first_bad.values()), repeated
