"""The face photos of tests/data/faces (five people, MIT-licensed, see its README)."""
from __future__ import annotations

from pathlib import Path

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"
