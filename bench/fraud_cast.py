"""Who plays the fraud scenario (bench/fraud_scenario.py): honest employees with a phone or a
terminal PIN, and per kind of cheating of issue 18 the employees who try it (with the
colleague a pair needs), inserted with their activation codes and an approved terminal; a
reference face enrolled for those who send real photos (tests/data/faces)."""
from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from ingest import devices, face_match
from ingest.employees_import import row_values
from ingest.rules.patterns import metres
from ingest.selfie_hash import phash
from ingest.simulate import phones as sim
from ingest.synthetic.people import generate_employees
from queries import devices as qd
from queries import employees as qe
from tests.support.faces import FACES

# kind -> what the cheat is, and what should stop it (the table's order)
KINDS = {
    "mock_location": "fake GPS app, Android reports mock",
    "outside_geofence": "checks in from home, 2 km away",
    "accuracy_stretch": "a point 400 m out, accuracy circle just reaching the office",
    "replayed_fix": "fake GPS with no mock flag: the same fix to the digit every day",
    "impossible_travel": "two offices 9.8 km apart 3 minutes apart",
    "shared_device_activation": "a second account activated on a colleague's phone",
    "titip_absen_phone": "one person checks in a colleague's phone beside their own",
    "terminal_buddies": "a second PIN punched seconds after the first, daily",
    "selfie_reuse": "the same selfie photo sent every day",
    "face_other_low_score": "someone else's face, the phone's check scores it low",
    "face_other_fooled_phone": "someone else's real face, the phone's check fooled; the server matches it",
    "liveness_failed": "a photo of a photo, the phone's liveness check fails",
    "backdate_no_evidence": "sent 65 min after the moment claimed, offline, no evidence",
    "backdate_after_contact": "the phone talked to the server after the moment claimed, sent 30 min later",
    "backdate_forged_evidence": "back-dated 40 min with a forged offline_since, phone silent meanwhile",
    "clock_back_online": "the phone's clock set 35 min back, not offline",
    "clock_future": "captured 9 min in the future (the API refuses more than 10)",
    "qr_outside_geofence": "event QR forwarded to someone 2 km away",
    "qr_rotated_token": "event QR photographed, used 3 min later",
    "qr_forwarded_fake_gps": "event QR forwarded live to someone at their own office, GPS faked to the event",
}
PHONE_KINDS = [k for k in KINDS if k not in ("terminal_buddies", "shared_device_activation")]
FAR_UNIT = ("BPPD", "BPPD-1", "BPPD-2")       # one unit, two offices 9.8 km apart (config.yaml)
# the five people of tests/data/faces: the photo enrolled, and another photo the selfies are taken from
PEOPLE = (("obama_obama.jpg", "obama1.jpg"), ("biden_biden.jpg", "biden_biden2.jpg"),
          ("kit_harington_john1.jpeg", "kit_harington_john2.jpeg"), ("rose_leslie_img1.jpg", "rose_leslie_img2.jpg"),
          ("alex_lacamoire_img1.jpg", "alex_lacamoire1.jpg"))


@dataclass
class Actor:
    kind: str                       # a KINDS key, or "honest", "carrier" (the other half of a pair)
    employee: dict                  # nip, id, unit_code, name
    office: object                  # foundation.config.Office where they check in
    phone: sim.Phone | None = None
    pin: str | None = None          # terminal PIN (terminal staff)
    partner: "Actor | None" = None  # titip absen / buddies: whose check-in travels with theirs
    fixed: tuple | None = None      # replayed_fix: the one fix sent every day
    face: int | None = None         # a PEOPLE index: whose photo is enrolled as their reference face


@dataclass
class Cast:
    actors: list[Actor]
    terminal_sn: str
    terminal_office: str
    event_ids: dict[dt.date, int] = field(default_factory=dict)
    activation_refused: Counter = field(default_factory=Counter)   # kind -> attempts refused at activation
    activation_let_in: Counter = field(default_factory=Counter)
    camera: "Camera | None" = None


class Camera:
    """Selfies from the test photos, each a new picture of the person (cropped, turned, maybe
    mirrored, lit differently, as a phone at arm's length takes it) and never near-identical
    to one taken before: a fresh selfie a day is what these employees send, so selfie_reuse
    must not be what catches (or queues) them."""

    def __init__(self, seed: int, min_bits: int = 10):
        self.rng, self.min_bits, self.taken = random.Random(seed), min_bits, []
        self.photos = {i: (FACES / other).read_bytes() for i, (_, other) in enumerate(PEOPLE)}

    def selfie(self, person: int) -> bytes:
        for _ in range(50):
            data = _variant(self.photos[person], self.rng)
            h = phash(data)
            if all(bin(h ^ t).count("1") >= self.min_bits for t in self.taken):
                break
        self.taken.append(h)
        return data


def _variant(photo: bytes, rng: random.Random, side: int = 720) -> bytes:
    with Image.open(io.BytesIO(photo)) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        k = rng.uniform(0.8, 0.95)
        w, h = round(im.width * k), round(im.height * k)
        x, y = rng.randint(0, im.width - w), rng.randint(0, im.height - h)
        im = im.crop((x, y, x + w, y + h)).rotate(rng.uniform(-8, 8), resample=Image.Resampling.BILINEAR)
        im = ImageOps.mirror(im) if rng.random() < 0.5 else im
        im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.9, 1.15))
        scale = side / max(im.size)
        out = io.BytesIO()
        im.resize((round(im.width * scale), round(im.height * scale))).save(out, "JPEG", quality=85)
        return out.getvalue()


def jpeg(seed: int) -> bytes:
    """A distinct picture per seed, as a phone's JPEG (perceptual hashes far apart)."""
    pixels = np.random.default_rng(seed).integers(0, 255, (48, 36, 3)).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).resize((240, 320)).save(out, "JPEG", quality=80)
    return out.getvalue()


def prepare(rt, *, honest: int, terminal_staff: int, per_kind: int, seed: int, face_honest: int = 8) -> Cast:
    """Employees (inserted), activation codes, an approved terminal, reference faces for the
    first `face_honest` honest phones and for those who send someone else's face; nothing sent yet."""
    rng = random.Random(seed)
    config = rt.config
    circle = {u: [o for o in config.unit_offices(u) if o.polygon is None] for u in config.unit_by_code}
    usable = sorted(u for u, os_ in circle.items() if os_ and config.unit_by_code[u].schedule in (None, "reguler"))
    wanted = honest + terminal_staff + per_kind * (len(KINDS) + 2) + 4
    people = generate_employees(config, wanted, seed=seed)
    rows, actors = [], []
    terminal_office = circle["DINKES"][0]

    def add(kind: str, unit: str, office, pin: str | None = None) -> Actor:
        p = people[len(rows)]
        row = {**row_values(p), "unit_code": unit, "schedule_code": None, "terminal_pin": pin, "assigned_units": []}
        rows.append(row)
        actor = Actor(kind, {"nip": row["nip"], "unit_code": unit, "name": row["name"]}, office, pin=pin)
        actors.append(actor)
        return actor

    for n in range(honest):
        unit = rng.choice(usable)
        add("honest", unit, circle[unit][0]).face = n % len(PEOPLE) if n < face_honest else None
    pin_base = rng.randrange(10_000, 90_000) * 100
    for i in range(terminal_staff):
        add("honest", "DINKES", terminal_office, pin=str(pin_base + i))
    # the unit whose office lies farthest from the apel's (the terminal's office)
    far_from_event = max(usable, key=lambda u: metres(circle[u][0].lat, circle[u][0].lon, terminal_office.lat,
                                                      terminal_office.lon))
    for n in range(per_kind):
        for kind in KINDS:
            unit = FAR_UNIT[0] if kind == "impossible_travel" else (
                far_from_event if kind == "qr_forwarded_fake_gps" else rng.choice(usable))
            office = config.office_by_code[FAR_UNIT[1]] if kind == "impossible_travel" else circle[unit][0]
            if kind == "terminal_buddies":
                first = add("carrier", "DINKES", terminal_office, pin=str(pin_base + terminal_staff + 2 * n))
                add(kind, "DINKES", terminal_office, pin=str(pin_base + terminal_staff + 2 * n + 1)).partner = first
            elif kind == "titip_absen_phone":
                first = add("carrier", unit, office)
                add(kind, unit, office).partner = first
            elif kind == "shared_device_activation":
                first = add("carrier", unit, office)
                add(kind, unit, office).partner = first
            else:
                actor = add(kind, unit, office)
                if kind == "face_other_fooled_phone":
                    actor.face = n % len(PEOPLE)
                if kind == "replayed_fix":
                    actor.fixed = (round(office.lat + rng.uniform(-2e-4, 2e-4), 7),
                                   round(office.lon + rng.uniform(-2e-4, 2e-4), 7), 7.0)
    with rt.transaction() as conn:
        qe.insert_many(conn, rows)
        ids = qd.employee_ids(conn, [r["nip"] for r in rows])
    for actor in actors:
        actor.employee["id"] = ids[actor.employee["nip"]]
    codes = devices.issue_codes(rt, [a.employee["nip"] for a in actors if a.pin is None], "bench-fraud")
    for actor in actors:
        if actor.pin is None:
            actor.phone = sim.Phone(actor.employee["nip"], codes[actor.employee["nip"]], actor.office.lat, actor.office.lon)
    for actor in actors:   # the second account goes for the first one's very phone
        if actor.kind == "shared_device_activation":
            actor.phone.device_id = actor.partner.phone.device_id
    from ingest.terminals import registry

    sn = f"FRD{rng.randrange(10**6):06d}"
    registry.approve(rt, sn, terminal_office.code, actor="bench", reason="fraud scenario terminal")
    enrolled = {i: (FACES / mine).read_bytes() for i, (mine, _) in enumerate(PEOPLE)}
    for actor in actors:   # as `pantau faces enrol` does, one photo per NIP
        if actor.face is not None:
            face_match.enrol_photo(rt, actor.employee["nip"], enrolled[actor.face], "bench-fraud")
    return Cast(actors, sn, terminal_office.code, camera=Camera(seed))
