"""Indonesian headers and value labels for the files BKPP opens in Excel (ingest.export).

The column codes stay the machine names (plain CSV, scripts); an Excel file shows these."""
from __future__ import annotations

import re

HEADERS = {
    # recaps (queries.recap, ingest.recap)
    "nip": "NIP", "nama": "Nama", "unit_kode": "Kode unit", "unit_nama": "Unit", "hari_kerja": "Hari kerja",
    "hadir": "Hadir", "tk": "TK (tanpa keterangan)", "izin": "Izin", "sakit": "Sakit", "cuti": "Cuti",
    "dinas_luar": "Dinas luar", "menit_terlambat": "Menit terlambat", "menit_pulang_cepat": "Menit pulang cepat",
    "hari_manual": "Hari presensi manual", "menunggu_tinjauan": "Hari menunggu tinjauan",
    "apel_tidak_hadir": "Apel tidak hadir",
    "potongan_apel_persen": "Potongan apel (%)", "potongan_persen": "Potongan TPP (%)",
    "pegawai": "Jumlah pegawai", "persen_hadir": "Kehadiran (%)", "rata_potongan_persen": "Rata-rata potongan (%)",
    "tahun": "Tahun", "tk_hari": "Hari TK", "tk_beruntun_maks": "TK beruntun terpanjang (hari)",
    "tingkat": "Tingkat hukuman disiplin", "sanksi": "Sanksi",
    # daily per unit
    "work_date": "Tanggal", "unit_code": "Kode unit", "unit_name": "Unit", "expected": "Wajib hadir",
    "present": "Hadir", "late": "Terlambat", "on_leave": "Cuti/izin", "not_yet": "Belum hadir",
    "late_minutes": "Menit terlambat",
    # check-ins
    "captured_at_local": "Waktu", "zone": "Zona waktu", "name": "Nama", "session": "Sesi", "source": "Sumber",
    "verdict": "Keputusan", "reasons": "Keterangan", "minutes_late": "Menit terlambat",
    "minutes_early": "Menit pulang cepat", "office_code": "Kantor", "distance_m": "Jarak ke kantor (m)",
    "attended_at": "Waktu hadir", "status": "Status", "lat": "Lintang", "lon": "Bujur", "accuracy_m": "Akurasi GPS (m)", "terminal_sn": "SN mesin presensi",
    # patterns across check-ins (queries.patterns.findings)
    "tanggal": "Tanggal", "pola": "Pola", "keterangan": "Keterangan", "presensi": "Jumlah presensi terkait",
    "temuan": "No. temuan",
}

VALUES = {
    "session": {"in": "masuk", "out": "pulang"},
    "source": {"mobile": "aplikasi ponsel", "terminal": "mesin sidik jari", "qr": "kode QR", "manual": "manual (admin)",
               "import": "impor berkas"},
    "verdict": {"accepted": "diterima", "refused": "ditolak", "flagged": "diterima, ditandai untuk diperiksa"},
    "reasons": {"mock_location": "lokasi palsu", "poor_accuracy": "akurasi GPS buruk",
                "outside_geofence": "di luar geofence kantor", "face_mismatch": "wajah tidak cocok",
                "liveness_failed": "uji keaslian wajah gagal", "outside_window": "di luar jam presensi",
                "not_work_day": "bukan hari kerja", "offline_too_old": "data luring terlalu lama",
                "unknown_session": "sesi tidak dikenal", "clock_skew": "jam ponsel bergeser",
                "late_upload": "terkirim terlambat tanpa bukti offline",
                "offline_upload": "terkirim kemudian (offline)", "late": "terlambat", "early_leave": "pulang cepat",
                "web_not_allowed": "presensi lewat browser tidak diizinkan",
                "device_shared": "ponsel terikat pada akun lain"},
    "pola": {"impossible_travel": "perpindahan mustahil", "repeated_fix": "koordinat persis berulang",
             "accuracy_stretch": "akurasi GPS yang pas mencapai kantor", "shared_device": "satu ponsel, beberapa pegawai",
             "arrive_together": "selalu presensi bersama (titip absen)",
             "terminal_buddies": "dua PIN beruntun di mesin (titip absen)", "selfie_reuse": "swafoto dipakai ulang",
             "offline_habit": "sering terkirim belakangan sebagai offline"},
}


def header(code: str) -> str:
    """The column's Indonesian header; band codes (tl1, psw2) in capitals."""
    if code in HEADERS:
        return HEADERS[code]
    if re.fullmatch(r"[a-z]+\d+", code):
        return code.upper()
    return code.replace("_", " ").capitalize()


def value(code: str, raw):
    """A coded cell as words (lists joined with ', '); anything else as it is."""
    labels = VALUES.get(code)
    if labels is None or raw is None:
        return raw
    if isinstance(raw, (list, tuple)):
        return ", ".join(labels.get(r, r) for r in raw)
    return labels.get(raw, raw)


def nip_printed(nip: str) -> str:
    """The NIP as printed on Indonesian documents ('19681012 199003 1 004'): Excel keeps it as
    text (a space is not a number) and parse_nip reads it back; 18 digits after removing spaces."""
    n = nip.strip()
    return f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}" if len(n) == 18 and n.isdigit() else n
