"""Tables out to files: CSV (UTF-8 with BOM, ',' or ';') or .xlsx, streamed and atomic.

Excel in an Indonesian locale splits on ';' and reads ',' as the decimal mark, so ';'
output writes decimals with a comma by default. The .xlsx keeps the 18-digit NIP as text
(a double-clicked CSV shows it rounded, as Excel holds only 15 digits in a number).
"""
from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path
from typing import Iterable

TEXT_COLUMNS = {"nip"}  # digits that are an identifier, never a number


def _cell(value, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (Decimal, float)):
        text = format(value, "f") if isinstance(value, Decimal) else f"{value:.3f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", decimal)
    return str(value)


def write_table(path: str | Path, columns: list[str], rows: Iterable[dict], *, fmt: str = "csv",
                sep: str = ",", decimal: str | None = None, sheet: str = "Rekap") -> int:
    """Write rows to `path` (replaced only when complete); returns the number of rows."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "xlsx":
            count = _write_xlsx(tmp, columns, rows, sheet)
        else:
            count = _write_csv(tmp, columns, rows, sep, decimal or ("," if sep == ";" else "."))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def _write_csv(path: Path, columns: list[str], rows: Iterable[dict], sep: str, decimal: str) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, delimiter=sep)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[c], decimal) for c in columns])
            count += 1
    return count


def _write_xlsx(path: Path, columns: list[str], rows: Iterable[dict], sheet: str) -> int:
    import xlsxwriter  # constant_memory writes row by row: a big recap never sits in memory

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        ws = book.add_worksheet(sheet)
        bold, text = book.add_format({"bold": True}), book.add_format({"num_format": "@"})
        ws.write_row(0, 0, columns, bold)
        for i, name in enumerate(columns):
            ws.set_column(i, i, 20 if name in ("nip", "nama", "unit_nama", "sanksi") else 12,
                          text if name in TEXT_COLUMNS else None)
        count = 0
        for count, row in enumerate(rows, start=1):
            for col, name in enumerate(columns):
                value = row[name]
                if value is None:
                    continue
                if name in TEXT_COLUMNS or isinstance(value, str):
                    ws.write_string(count, col, str(value), text if name in TEXT_COLUMNS else None)
                else:
                    ws.write_number(count, col, float(value))
        ws.freeze_panes(1, 0)
    finally:
        book.close()
    return count
