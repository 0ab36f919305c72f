"""The server's face check without a database: real photos of five people (tests/data/faces,
from the MIT-licensed face_recognition project) through dlib's models, and the pure rules."""
from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image, ImageEnhance

from ingest import faces
from ingest.rules import face as rules
from ingest.rules.face import PhotoLimits, PhotoProblem
from tests.support.faces import FACES

PEOPLE = {
    "obama": ["obama_obama.jpg", "obama_obama2.jpg", "obama1.jpg"],
    "biden": ["biden_biden.jpg", "biden_biden2.jpg"],
    "kit_harington": ["kit_harington_john1.jpeg", "kit_harington_john2.jpeg"],
    "rose_leslie": ["rose_leslie_img1.jpg", "rose_leslie_img2.jpg"],
    "alex_lacamoire": ["alex_lacamoire_img1.jpg", "alex_lacamoire1.jpg"],
}
THRESHOLD = 0.6


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def descriptors() -> dict[str, object]:
    return {name: faces.describe(photo(name)) for files in PEOPLE.values() for name in files}


def test_each_photo_gives_128_numbers(descriptors):
    assert {d.shape for d in descriptors.values()} == {(128,)}


def test_photos_of_the_same_person_match(descriptors):
    for person, files in PEOPLE.items():
        for a, b in itertools.combinations(files, 2):
            distance = faces.distance(descriptors[a], descriptors[b])
            assert rules.verdict(distance, THRESHOLD) == rules.MATCH, (person, a, b, distance)


def test_every_pair_of_two_people_does_not_match(descriptors):
    owner = {name: person for person, files in PEOPLE.items() for name in files}
    pairs = [(a, b) for a, b in itertools.combinations(sorted(owner), 2) if owner[a] != owner[b]]
    assert len(pairs) == 48    # 55 pairs of 11 photos, less the 7 of one person
    for a, b in pairs:
        distance = faces.distance(descriptors[a], descriptors[b])
        assert rules.verdict(distance, THRESHOLD) == rules.MISMATCH, (a, b, distance)


@pytest.mark.parametrize("name", ["kit_with_rose.jpg", "two_people.jpg"])
def test_a_photo_with_two_faces_is_refused_saying_two(name):
    with pytest.raises(PhotoProblem) as caught:
        faces.describe(photo(name))
    assert caught.value.code == "many_faces"
    assert caught.value.message_id.startswith("Ditemukan 2 wajah")
    assert caught.value.message_en.startswith("2 faces found")


def test_a_photo_without_a_face_is_refused():
    with pytest.raises(PhotoProblem) as caught:
        faces.describe(jpeg(Image.new("RGB", (480, 640), (200, 180, 160))))
    assert (caught.value.code, caught.value.message_id) == ("no_face", "Tidak ada wajah yang ditemukan pada foto")


@pytest.mark.parametrize("data", [b"", b"not a photo at all", b"\xff\xd8\xff\xe0truncated"])
def test_bytes_that_are_no_photo_are_refused_as_unreadable(data):
    with pytest.raises(PhotoProblem) as caught:
        faces.describe(data)
    assert caught.value.code == "unreadable" and "JPEG" in caught.value.message_en


def test_a_dark_photo_is_refused_as_too_dark():
    dark = ImageEnhance.Brightness(Image.open(FACES / "obama_obama2.jpg").convert("RGB")).enhance(0.2)
    with pytest.raises(PhotoProblem) as caught:
        faces.describe(jpeg(dark))
    assert caught.value.code == "too_dark" and "terlalu gelap" in caught.value.message_id


def test_a_small_face_is_refused_as_too_small_and_a_lower_limit_takes_it():
    small = Image.open(FACES / "obama_obama2.jpg").convert("RGB")
    small = small.resize((90, round(small.height * 90 / small.width)))
    canvas = Image.new("RGB", (600, 600), (128, 128, 128))
    canvas.paste(small, (20, 20))
    with pytest.raises(PhotoProblem) as caught:
        faces.describe(jpeg(canvas))
    assert caught.value.code == "too_small" and "min. 60 piksel" in caught.value.message_id
    assert faces.describe(jpeg(canvas), PhotoLimits(min_face_px=30)).shape == (128,)


def test_verdict_is_a_match_only_under_the_threshold():
    assert rules.verdict(0.59, 0.6) == rules.MATCH
    assert rules.verdict(0.6, 0.6) == rules.MISMATCH
    assert rules.verdict(0.45, 0.4) == rules.MISMATCH


def test_check_faces_names_each_problem():
    limits = PhotoLimits(min_face_px=60, min_brightness=40)
    assert rules.check_faces([(80, 80)], limits) is None
    assert rules.check_faces([], limits).code == "no_face"
    assert rules.check_faces([(80, 80)] * 3, limits).message_en.startswith("3 faces")
    assert rules.check_faces([(59, 90)], limits).code == "too_small"
    assert rules.check_light(40.0, limits) is None
    assert "kecerahan wajah 39 dari 255" in rules.check_light(39.9, limits).message_id   # never "40, min. 40"


def test_the_model_version_names_dlib_and_the_weights():
    assert faces.model_version().startswith("dlib 20.") and "face_recognition_models" in faces.model_version()
