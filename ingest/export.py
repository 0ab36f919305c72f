"""Tables out to files: CSV (UTF-8 with BOM, ',' or ';') or .xlsx, streamed and atomic.
The CLI (`pantau recap`) and the dashboard's downloads both write through here.

Excel in an Indonesian locale splits on ';' and reads ',' as the decimal mark, so ';'
output writes decimals with a comma by default. The .xlsx keeps the 18-digit NIP as text
(a double-clicked CSV shows it rounded, as Excel holds only 15 digits in a number). With
`labels`, headers and coded values are in Indonesian words and a CSV's NIP is printed with
its spaces ('19681012 199003 1 004', as on Indonesian documents): Excel keeps that as text,
a reader gets the 18 digits back by dropping the spaces (parse_nip does), and nothing else
is added to the value (no '="..."' or tab for pandas to trip on).
"""
from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator

from . import export_labels

TEXT_COLUMNS = {"nip"}  # digits that are an identifier, never a number

# the file kinds a user picks: Excel in an id-ID locale (the default), plain CSV, .xlsx
FLAVOURS = {"excel": {"fmt": "csv", "sep": ";", "decimal": ",", "labels": True},
            "csv": {"fmt": "csv", "sep": ",", "decimal": ".", "labels": False},
            "xlsx": {"fmt": "xlsx", "labels": True}}


def _cell(value, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, (Decimal, float)):
        text = format(value, "f") if isinstance(value, Decimal) else f"{value:.6f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", decimal)
    return str(value)


def write_table(path: str | Path, columns: list[str], rows: Iterable[dict], *, fmt: str = "csv",
                sep: str = ",", decimal: str | None = None, sheet: str = "Rekap", labels: bool | None = None) -> int:
    """Write rows to `path` (replaced only when complete); returns the number of rows.
    `labels` (Indonesian headers and values): default for .xlsx, not for CSV."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "xlsx":
            count = _write_xlsx(tmp, columns, rows, sheet, True if labels is None else labels)
        else:
            count = 0
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                for count, line in enumerate(csv_lines(columns, rows, sep=sep, decimal=decimal, labels=bool(labels))):
                    f.write(line)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


class _Line:
    """csv.writer target that hands back each written line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[str], rows: Iterable[dict], *, sep: str = ",", decimal: str | None = None,
              labels: bool = False) -> Iterator[str]:
    """BOM and header, then one CSV line per row (quoting by the csv module): streamable."""
    decimal = decimal or ("," if sep == ";" else ".")
    writer = csv.writer(_Line(), delimiter=sep)
    yield "\ufeff" + writer.writerow([export_labels.header(c) for c in columns] if labels else columns)
    for row in rows:
        if labels:
            row = _labelled(columns, row, printed_nip=True)
        yield writer.writerow([_cell(row.get(c), decimal) for c in columns])


def _labelled(columns: list[str], row: dict, printed_nip: bool) -> dict:
    out = {c: export_labels.value(c, row.get(c)) for c in columns}
    if printed_nip and out.get("nip"):
        out["nip"] = export_labels.nip_printed(out["nip"])
    return out


def _write_xlsx(path: Path, columns: list[str], rows: Iterable[dict], sheet: str, labels: bool) -> int:
    import xlsxwriter  # constant_memory writes row by row: a big recap never sits in memory

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        ws = book.add_worksheet(sheet)
        bold, text = book.add_format({"bold": True}), book.add_format({"num_format": "@"})
        ws.write_row(0, 0, [export_labels.header(c) for c in columns] if labels else columns, bold)
        for i, name in enumerate(columns):
            ws.set_column(i, i, 20 if name in ("nip", "nama", "unit_nama", "sanksi") else 12,
                          text if name in TEXT_COLUMNS else None)
        count = 0
        for count, row in enumerate(rows, start=1):
            if labels:
                row = _labelled(columns, row, printed_nip=False)    # a text cell keeps the 18 digits
            for col, name in enumerate(columns):
                value = row.get(name)
                if value is None:
                    continue
                if name in TEXT_COLUMNS or not isinstance(value, (int, float, Decimal)):
                    ws.write_string(count, col, str(value), text if name in TEXT_COLUMNS else None)
                else:
                    ws.write_number(count, col, float(value))
        ws.freeze_panes(1, 0)
    finally:
        book.close()
    return count
