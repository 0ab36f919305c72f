"""NIP: the 18-digit civil-servant number, and what its digits must say.

Layout: birth date YYYYMMDD, appointment (TMT CPNS) YYYYMM, sex 1 (male) / 2 (female),
sequence NNN. Example: 198503122010011003 = born 12 March 1985, appointed January 2010,
male, number 003. Reasons come in Indonesian and English (the HR agency reads them).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MIN_AGE, MAX_AGE = 18, 70          # at appointment
FIRST_APPOINTMENT_YEAR = 1960
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")


class NipError(ValueError):
    """A NIP that cannot be right; `id` and `en` say why."""

    def __init__(self, id_reason: str, en_reason: str):
        self.id, self.en = id_reason, en_reason
        super().__init__(f"{id_reason} / {en_reason}")


@dataclass(frozen=True)
class Nip:
    value: str
    birth_date: dt.date
    appointed: tuple[int, int]  # (year, month)
    sex: str                    # 'L' (laki-laki) or 'P' (perempuan)
    sequence: int


def age_at(birth: dt.date, year: int, month: int) -> int:
    """Whole years of age on the first day of the given month."""
    return year - birth.year - ((month, 1) < (birth.month, birth.day))


def parse_nip(text: str, today: dt.date | None = None) -> Nip:
    """The NIP's parts; raises NipError. Spaces (as printed: '19850312 201001 1 003') are dropped."""
    raw = str(text).strip()
    if _SCIENTIFIC.match(raw):
        raise NipError(f"NIP {raw!r} sudah diubah Excel menjadi angka; format kolom NIP sebagai Teks lalu ekspor ulang",
                       f"NIP {raw!r} was turned into a number by Excel; format the NIP column as Text and export again")
    value = re.sub(r"\s+", "", raw)
    if not (len(value) == 18 and value.isascii() and value.isdigit()):
        raise NipError(f"NIP harus 18 digit angka, tertulis {raw!r} ({len(value)} karakter)",
                       f"NIP must be 18 digits, got {raw!r} ({len(value)} characters)")
    try:
        birth = dt.date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise NipError(f"tanggal lahir {value[0:8]} (digit 1-8) bukan tanggal yang sah",
                       f"birth date {value[0:8]} (digits 1-8) is not a valid date") from None
    year, month = int(value[8:12]), int(value[12:14])
    today = today or dt.date.today()
    if not 1 <= month <= 12:
        raise NipError(f"bulan pengangkatan {value[8:14]} (digit 9-14) tidak sah",
                       f"appointment month {value[8:14]} (digits 9-14) is not valid")
    if not FIRST_APPOINTMENT_YEAR <= year <= today.year + 1:
        raise NipError(f"tahun pengangkatan {year} (digit 9-12) tidak wajar",
                       f"appointment year {year} (digits 9-12) is not plausible")
    age = age_at(birth, year, month)
    if not MIN_AGE <= age <= MAX_AGE:
        raise NipError(f"umur saat pengangkatan {value[8:14]} adalah {age} tahun, harus {MIN_AGE}-{MAX_AGE} "
                       f"(lahir {value[0:8]})",
                       f"age at appointment {value[8:14]} is {age}, must be {MIN_AGE}-{MAX_AGE} (born {value[0:8]})")
    if value[14] not in "12":
        raise NipError(f"digit ke-15 (jenis kelamin) {value[14]}, harus 1 (laki-laki) atau 2 (perempuan)",
                       f"digit 15 (sex) is {value[14]}, must be 1 (male) or 2 (female)")
    sequence = int(value[15:18])
    if sequence == 0:
        raise NipError("nomor urut (digit 16-18) 000 tidak sah", "sequence number (digits 16-18) 000 is not valid")
    return Nip(value=value, birth_date=birth, appointed=(year, month), sex="L" if value[14] == "1" else "P",
               sequence=sequence)


def make_nip(birth: dt.date, appointed: tuple[int, int], sex: str, sequence: int) -> str:
    """The NIP for these parts (sex 'L' or 'P', sequence 1..999)."""
    if sex not in ("L", "P") or not 1 <= sequence <= 999:
        raise ValueError(f"sex must be 'L' or 'P' and sequence 1..999, got {sex!r}, {sequence}")
    return f"{birth:%Y%m%d}{appointed[0]:04d}{appointed[1]:02d}{'1' if sex == 'L' else '2'}{sequence:03d}"
