"""Selfies: JPEG only (by content, not by name), at most 500 KB, stored by content hash."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

MAX_BYTES = 500 * 1024
JPEG_MAGIC = b"\xff\xd8\xff"


def problem(data: bytes) -> tuple[str, str, str] | None:
    """(code, Indonesian, English) when the bytes are not an acceptable selfie."""
    if not data:
        return "selfie_empty", "Foto selfie kosong", "The selfie is empty"
    if len(data) > MAX_BYTES:
        return ("selfie_too_large", f"Foto selfie terlalu besar: {len(data) // 1024} KB (maks. {MAX_BYTES // 1024} KB)",
                f"Selfie too large: {len(data) // 1024} KB (max {MAX_BYTES // 1024} KB)")
    if not data.startswith(JPEG_MAGIC):
        return "selfie_not_jpeg", "Foto selfie harus JPEG", "The selfie must be a JPEG image"
    return None


def path_for(selfie_dir: Path, sha256: str) -> Path:
    return Path(selfie_dir) / sha256[:2] / f"{sha256}.jpg"


def store(selfie_dir: Path, data: bytes) -> str:
    """Write once under its SHA-256 (a retry writes nothing new); returns the hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(selfie_dir, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)  # atomic: a reader never sees half a file
    return digest
