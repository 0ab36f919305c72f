"""Leave documents: PDF, JPEG or PNG (by content, not by name), at most 2 MB, stored by SHA-256."""
from __future__ import annotations

from pathlib import Path

from .selfies import store as _store

MAX_BYTES = 2 * 1024 * 1024
MAX_FILES = 3
MAGIC = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}


def sniff(data: bytes) -> str | None:
    return next((mime for mime, magic in MAGIC.items() if data.startswith(magic)), None)


def problem(filename: str, data: bytes) -> tuple[str, str, str] | None:
    """(code, Indonesian, English) when the file is not an acceptable document."""
    name = filename or "(tanpa nama)"
    if not data:
        return "attachment_empty", f"Berkas {name} kosong", f"File {name} is empty"
    if len(data) > MAX_BYTES:
        return ("attachment_too_large", f"Berkas {name} terlalu besar: {len(data) // 1024} KB (maks. 2048 KB)",
                f"File {name} is too large: {len(data) // 1024} KB (max 2048 KB)")
    mime = sniff(data)
    if mime is None:
        return ("attachment_type", f"Berkas {name} bukan PDF, JPEG atau PNG",
                f"File {name} is not a PDF, JPEG or PNG")
    suffix = Path(name).suffix.lower()
    known = {ext for exts in EXTENSIONS.values() for ext in exts}
    if suffix in known and suffix not in EXTENSIONS[mime]:
        kind = mime.split("/")[1].upper()
        return ("attachment_mismatch", f"Isi berkas {name} adalah {kind}, tidak sesuai dengan ekstensinya",
                f"File {name} contains {kind}, which does not match its extension")
    return None


def attachment_dir(settings) -> Path:
    return Path(settings.attachment_dir or Path(settings.var_dir) / "attachments")


def store(settings, data: bytes) -> str:
    """Write once under its SHA-256 (the selfie store's atomic write; its path_for finds it;
    the real type is in leave_attachments.mime); returns the hash."""
    return _store(attachment_dir(settings), data)
