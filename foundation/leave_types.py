"""Approved leave types (PP 11/2017 and flexible-work rules) and the recap column each adds to.

No imports: the config loader checks `rules.leave_deductions` keys against this list.
"""
from __future__ import annotations

# code: (Indonesian label, recap column). Tugas luar is `tugas_luar`, never "TL" (lateness).
LEAVE_TYPES: dict[str, tuple[str, str]] = {
    "izin": ("Izin", "izin"),
    "sakit": ("Sakit", "sakit"),
    "cuti_sakit": ("Cuti sakit", "sakit"),
    "cuti_tahunan": ("Cuti tahunan", "cuti"),
    "cuti_besar": ("Cuti besar", "cuti"),
    "cuti_melahirkan": ("Cuti melahirkan", "cuti"),
    "cuti_alasan_penting": ("Cuti karena alasan penting", "cuti"),
    "cuti_bersama": ("Cuti bersama", "cuti"),
    "cltn": ("Cuti di luar tanggungan negara", "cuti"),
    "dinas_luar": ("Dinas luar", "dinas_luar"),
    "tugas_luar": ("Tugas luar", "dinas_luar"),
    "tugas_belajar": ("Tugas belajar", "dinas_luar"),
    "diklat": ("Pendidikan dan pelatihan", "dinas_luar"),
    "wfa": ("Bekerja dari mana saja (WFA)", "dinas_luar"),
    "wfh": ("Bekerja dari rumah (WFH)", "dinas_luar"),
}

RECAP_COLUMNS = ("izin", "sakit", "cuti", "dinas_luar")


def leave_codes_for(column: str) -> list[str]:
    """The leave type codes a recap column counts."""
    return [code for code, (_, col) in LEAVE_TYPES.items() if col == column]
