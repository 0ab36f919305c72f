"""The server's face check, as pure rules: which photo is usable, and what a distance means.

dlib's face recognition model maps a face to 128 numbers; two photos of one person lie
closer than 0.6 apart (Euclidean), the threshold dlib documents for its model (99.38 % on
LFW). The threshold is `rules.face.server_threshold` in config.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass

MATCH, MISMATCH, NO_FACE, NO_ENROLMENT, ERROR = "match", "mismatch", "no_face", "no_enrolment", "error"
RESULTS = (MATCH, MISMATCH, NO_FACE, NO_ENROLMENT, ERROR)

# Why a photo gives no face to compare: code -> (Indonesian, English); {n}, {px}, {min} filled in.
PROBLEMS = {
    "unreadable": ("Berkas bukan foto yang dapat dibaca (JPEG atau PNG)", "The file is not a readable photo (JPEG or PNG)"),
    "no_face": ("Tidak ada wajah yang ditemukan pada foto", "No face found in the photo"),
    "many_faces": ("Ditemukan {n} wajah pada foto; foto harus berisi satu wajah saja",
                   "{n} faces found in the photo; it must show one face only"),
    "too_small": ("Wajah terlalu kecil: {px} piksel (min. {min} piksel); ambil foto lebih dekat",
                  "Face too small: {px} px (min {min} px); take the photo closer"),
    "too_dark": ("Foto terlalu gelap (kecerahan wajah {px} dari 255, min. {min}); ambil foto di tempat terang",
                 "Photo too dark (face brightness {px} of 255, min {min}); take it in better light"),
}


@dataclass(frozen=True)
class PhotoProblem(Exception):
    """A photo that yields no single usable face: a code of PROBLEMS and both messages."""

    code: str
    message_id: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_id} / {self.message_en}"


def problem(code: str, **values) -> PhotoProblem:
    text_id, text_en = PROBLEMS[code]
    return PhotoProblem(code, text_id.format(**values), text_en.format(**values))


@dataclass(frozen=True)
class PhotoLimits:
    min_face_px: int = 60          # the face box's shorter side, in the photo's pixels
    min_brightness: int = 40       # the face's mean luma (0-255)


def check_faces(boxes: list[tuple[int, int]], limits: PhotoLimits) -> PhotoProblem | None:
    """Given the faces found as (width, height) boxes: the problem, or None for exactly one usable face."""
    if not boxes:
        return problem("no_face")
    if len(boxes) > 1:
        return problem("many_faces", n=len(boxes))
    side = min(boxes[0])
    if side < limits.min_face_px:
        return problem("too_small", px=side, min=limits.min_face_px)
    return None


def check_light(brightness: float, limits: PhotoLimits) -> PhotoProblem | None:
    if brightness < limits.min_brightness:
        return problem("too_dark", px=int(brightness), min=limits.min_brightness)   # floor: never "40, min. 40"
    return None


def verdict(distance: float, threshold: float) -> str:
    """`match` when the two faces are closer than the threshold, else `mismatch`."""
    return MATCH if distance < threshold else MISMATCH


def verdict_label(result: str) -> str:
    """How the dashboard and the CLI name a result, in Indonesian."""
    return {MATCH: "cocok", MISMATCH: "tidak cocok", NO_FACE: "wajah tidak terbaca",
            NO_ENROLMENT: "belum ada wajah acuan", ERROR: "gagal diperiksa"}.get(result, result)
