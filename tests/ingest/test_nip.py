"""NIP parsing, and the synthetic people whose NIPs must always parse."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.nip import NipError, make_nip, parse_nip
from ingest.synthetic.people import People

TODAY = dt.date(2026, 1, 15)


def test_a_nip_says_birth_appointment_sex_and_sequence():
    nip = parse_nip("198503122010011003", today=TODAY)
    assert nip.birth_date == dt.date(1985, 3, 12)
    assert nip.appointed == (2010, 1) and nip.sex == "L" and nip.sequence == 3
    assert parse_nip("19910725 201903 2 011", today=TODAY).value == "199107252019032011"
    assert parse_nip("199107252019032011", today=TODAY).sex == "P"


@pytest.mark.parametrize("text, reason", [
    ("19850312201001100", "NIP must be 18 digits, got '19850312201001100' (17 characters)"),
    ("19850312201001100X", "NIP must be 18 digits, got '19850312201001100X' (18 characters)"),
    ("1.98503E+17", "NIP '1.98503E+17' was turned into a number by Excel; format the NIP column as Text and export again"),
    ("198513122010011003", "birth date 19851312 (digits 1-8) is not a valid date"),
    ("198502302010011003", "birth date 19850230 (digits 1-8) is not a valid date"),
    ("198503122010131003", "appointment month 201013 (digits 9-14) is not valid"),
    ("198503122030011003", "appointment year 2030 (digits 9-12) is not plausible"),
    ("198503122001011003", "age at appointment 200101 is 15, must be 18-70 (born 19850312)"),
    ("193001012005011003", "age at appointment 200501 is 75, must be 18-70 (born 19300101)"),
    ("198503122010013003", "digit 15 (sex) is 3, must be 1 (male) or 2 (female)"),
    ("198503122010011000", "sequence number (digits 16-18) 000 is not valid"),
])
def test_a_wrong_nip_says_why_in_both_languages(text, reason):
    with pytest.raises(NipError) as info:
        parse_nip(text, today=TODAY)
    assert info.value.en == reason
    assert info.value.id and info.value.id != info.value.en
    assert str(info.value) == f"{info.value.id} / {reason}"


def test_age_18_is_counted_to_the_day():
    assert parse_nip("200001012018011001", today=TODAY).appointed == (2018, 1)   # 18 on 1 Jan 2018
    with pytest.raises(NipError, match="is 17"):
        parse_nip("200002012018011001", today=TODAY)                            # 18 only on 1 Feb


@given(birth=st.dates(dt.date(1960, 1, 1), dt.date(2004, 12, 31)), years=st.integers(18, 40),
       month=st.integers(1, 12), sex=st.sampled_from("LP"), seq=st.integers(1, 999))
def test_make_nip_round_trips(birth, years, month, sex, seq):
    year = birth.year + years + 1
    if year > TODAY.year:
        return
    nip = parse_nip(make_nip(birth, (year, month), sex, seq), today=TODAY)
    assert (nip.birth_date, nip.appointed, nip.sex, nip.sequence) == (birth, (year, month), sex, seq)


@settings(max_examples=25)
@given(seed=st.integers(0, 10**6), profile=st.sampled_from(["umum", "guru", "bidan", "damkar", "pimpinan"]))
def test_synthetic_people_have_valid_consistent_nips(seed, profile):
    people = People(seed)
    for _ in range(40):
        p = people.person(profile)
        nip = parse_nip(p.nip, today=TODAY)
        assert (nip.birth_date, nip.appointed, nip.sex) == (p.birth_date, p.appointed, p.sex)
        assert p.name.strip() == p.name and "  " not in p.name
    assert len(people.nips) == 40


def test_same_seed_same_people_other_seed_other_people():
    assert _people(5, 50) == _people(5, 50)
    assert _people(5, 50) != _people(6, 50)


def _people(seed, n):
    people = People(seed)
    return [people.person() for _ in range(n)]
