"""Subject keys: the minimal identifier an officer may give for the person an intervention is
about (initials and year of birth, or the service's own file number), normalised so the same
person written differently meets the same key, and kept only as a keyed hash (HMAC-SHA256 with
the service's secret). The raw key is never stored and never logged."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

MIN_YEAR, MAX_YEAR = 1900, 2099
# "JT 1987", "J.T. 1987", "1987 JT", "T J 1987": up to four initials and a four-digit year
_INITIALS_YEAR = re.compile(r"^(?P<a>[A-Z](?:[ .\-]*[A-Z]){0,3})[ .\-,/]*(?P<y>\d{4})$")
_YEAR_INITIALS = re.compile(r"^(?P<y>\d{4})[ .\-,/]*(?P<a>[A-Z](?:[ .\-]*[A-Z]){0,3})\.?$")
# "dossier 2024-012345", "file #2024 012345", "N° 12345", "2024-012345"
_FILE_PREFIX = re.compile(r"^(?:DOSSIER|FILE|NO|N|NUMERO|NUMBER|#)[ .:°#]*")
_FILE = re.compile(r"^[A-Z0-9][A-Z0-9 .\-/]{2,30}$")
MIN_FILE_DIGITS = 4
MAX_FILE_LETTERS = 3  # more letters than this reads as words, not a file number


def _plain(text: str) -> str:
    """Upper case, accents off, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.upper().replace("º", "°").split())


def normalise(raw: str) -> str | None:
    """The canonical form of a subject key, or None when the text is not one. Initials are
    sorted (an officer may say first name first or last name first); a file number keeps only
    its letters and digits."""
    text = _plain(raw)
    if not text or len(text) > 40:
        return None
    for pattern in (_INITIALS_YEAR, _YEAR_INITIALS):
        found = pattern.match(text)
        if found:
            year = int(found.group("y"))
            letters = sorted(ch for ch in found.group("a") if ch.isalpha())
            if MIN_YEAR <= year <= MAX_YEAR and len(letters) >= 1:
                return f"I:{''.join(letters)}:{year}"
            return None
    number = _FILE_PREFIX.sub("", text)
    if not _FILE.match(number):
        return None
    compact = "".join(ch for ch in number if ch.isalnum())
    digits = sum(ch.isdigit() for ch in compact)
    if digits < MIN_FILE_DIGITS or len(compact) - digits > MAX_FILE_LETTERS:
        return None
    return f"F:{compact}"


def key_hash(normalised: str, secret: bytes) -> str:
    """The only form of a key that is stored: HMAC-SHA256 of its canonical form."""
    return hmac.new(secret, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def hash_of(raw: str, secret: bytes) -> str | None:
    """The stored hash of a key as typed, or None when the text is not a key."""
    canonical = normalise(raw)
    return key_hash(canonical, secret) if canonical is not None else None
