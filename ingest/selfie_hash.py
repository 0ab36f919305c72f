"""A selfie's perceptual hash (imagehash's pHash): near-identical photos (the same file sent
again, re-compressed, resized, or a photo of it) land a few bits apart, different photos
about half of the 64 bits apart. Read by the pattern scan, never on the check-in path."""
from __future__ import annotations

import io

import imagehash
from PIL import Image, UnidentifiedImageError


def phash(jpeg: bytes) -> int | None:
    """The 64-bit pHash as an int, or None for bytes that are no readable image."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            return int(str(imagehash.phash(image)), 16)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
