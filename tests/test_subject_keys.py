"""Subject keys: one person written differently meets one key, different people stay apart,
and only a keyed hash (HMAC-SHA256 with the service's secret) is ever kept."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from flows.subject_keys import hash_of, key_hash, normalise

SECRET = b"test-secret-0123456789abcdef"


@pytest.mark.parametrize(
    "spelling",
    [
        "JT 1987", "jt 1987", "J.T. 1987", "j. t. 1987", "TJ 1987", "1987 JT", "JT1987",
        " Jt  1987 ", "1987 J.T.", "1987 j.t.", "1987 J. T.",
    ],
)
def test_one_person_written_differently_gets_one_key(spelling):
    assert normalise(spelling) == "I:JT:1987"
    assert hash_of(spelling, SECRET) == hash_of("JT 1987", SECRET)


def test_accents_are_ignored():
    assert hash_of("É.T. 1990", SECRET) == hash_of("ET 1990", SECRET)
    assert hash_of("Ç L 2001", SECRET) == hash_of("cl 2001", SECRET)


@pytest.mark.parametrize(
    "spelling", ["2024-012345", "dossier 2024 012345", "#2024-012345", "File 2024.012345"]
)
def test_a_file_number_is_a_key_whatever_its_separators(spelling):
    assert normalise(spelling) == "F:2024012345"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("JT 1987", "JT 1988"),
        ("JT 1987", "JR 1987"),
        ("JT 1987", "JTM 1987"),
        ("2024-012345", "2024-012346"),
        ("JT 1987", "1987"),
    ],
)
def test_different_people_stay_apart(one, other):
    assert hash_of(one, SECRET) != hash_of(other, SECRET)


@pytest.mark.parametrize(
    "words", ["", "Il a un couteau", "OK", "C-0042", "call 911", "AB 12", "hello 1987", "JT 1850"]
)
def test_words_that_are_not_a_key_are_refused(words):
    assert normalise(words) is None
    assert hash_of(words, SECRET) is None


def test_only_a_keyed_hash_is_kept_and_it_depends_on_the_secret():
    stored = hash_of("JT 1987", SECRET)
    assert stored == hmac.new(SECRET, b"I:JT:1987", hashlib.sha256).hexdigest()
    assert stored != hashlib.sha256(b"I:JT:1987").hexdigest()  # not a plain hash
    assert hash_of("JT 1987", b"another-secret-0123456789") != stored
    assert "JT" not in stored and "1987" not in stored
    assert key_hash("I:JT:1987", SECRET) == stored
