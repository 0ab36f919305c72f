"""A photo (bytes) to one face descriptor: dlib's HOG face detector, its 68-point shape
predictor and its ResNet face recognition model (128 numbers per face).

The weights ship inside the `face-recognition-models` package and dlib comes as a prebuilt
wheel (`dlib-bin`): nothing is downloaded at run time. The models load once per process
(~100 MB), on first use, so processes that never see a face never pay for them.
"""
from __future__ import annotations

import importlib.util
import io
import threading
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .rules.face import PhotoLimits, PhotoProblem, check_faces, check_light, problem

MAX_SIDE = 1024      # larger photos are scaled down first: detection time grows with the pixels
UPSAMPLE_BELOW = 640  # a smaller photo is searched at twice its size, so a 40 px face is still found
JITTERS = 1          # dlib's num_jitters: 1 is its default; more is slower for a small gain


def model_version() -> str:
    """Stored with every descriptor and match: descriptors of two versions are not comparable."""
    return f"dlib {version('dlib-bin')} resnet_v1+sp68 (face_recognition_models {version('face-recognition-models')})"


class _Models:
    _lock = threading.Lock()
    _loaded: tuple | None = None

    @classmethod
    def get(cls) -> tuple:
        with cls._lock:
            if cls._loaded is None:
                import dlib
                cls._loaded = (dlib.get_frontal_face_detector(),
                               dlib.shape_predictor(_weights("shape_predictor_68_face_landmarks.dat")),
                               dlib.face_recognition_model_v1(_weights("dlib_face_recognition_resnet_model_v1.dat")))
            return cls._loaded


def _weights(name: str) -> str:
    """A weights file inside the face-recognition-models package. Found without importing the
    package: its __init__ imports pkg_resources, which newer setuptools no longer ship."""
    spec = importlib.util.find_spec("face_recognition_models")
    path = Path(next(iter(spec.submodule_search_locations or ()), "")) / "models" / name if spec else None
    if path is None or not path.is_file():
        raise RuntimeError(f"face-recognition-models is not installed ({name} not found): pip install it")
    return str(path)


_compute = threading.Lock()   # dlib's objects are not documented as thread-safe


def _pixels(data: bytes) -> tuple[np.ndarray, float]:
    """RGB pixels, upright (EXIF), at most MAX_SIDE; and the scale to the original."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im = ImageOps.exif_transpose(im)
            im = im.convert("RGB")
            scale = min(1.0, MAX_SIDE / max(im.size))
            if scale < 1.0:
                im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.BILINEAR)
            return np.asarray(im), scale
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise problem("unreadable") from None


def describe(data: bytes, limits: PhotoLimits = PhotoLimits()) -> np.ndarray:
    """The one face's 128 numbers; PhotoProblem when the photo is unreadable, has no face, two
    or more, a face too small or too dark."""
    if not data:
        raise problem("unreadable")
    pixels, scale = _pixels(data)
    detector, shapes, encoder = _Models.get()
    upsample = 1 if max(pixels.shape[:2]) < UPSAMPLE_BELOW else 0
    with _compute:
        found = list(detector(pixels, upsample))
        bad = check_faces([(round(r.width() / scale), round(r.height() / scale)) for r in found], limits)
        if bad is not None:
            raise bad
        box = found[0]
        bad = check_light(_brightness(pixels, box), limits)
        if bad is not None:
            raise bad
        shape = shapes(pixels, box)
        return np.asarray(encoder.compute_face_descriptor(pixels, shape, JITTERS), dtype=np.float64)


def _brightness(pixels: np.ndarray, box) -> float:
    """Mean luma (ITU-R 601) inside the face box."""
    h, w = pixels.shape[:2]
    top, bottom = max(0, box.top()), min(h, box.bottom())
    left, right = max(0, box.left()), min(w, box.right())
    face = pixels[top:bottom, left:right].astype(np.float32)
    if face.size == 0:
        return 0.0
    return float((face @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).mean())


def distance(a, b) -> float:
    """Euclidean distance between two descriptors."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


__all__ = ["PhotoProblem", "PhotoLimits", "describe", "distance", "model_version"]
