"""Personal data in customer text: Chinese resident ID numbers, mobile and landline numbers, bank card
numbers, e-mail addresses. Found so they can be masked before anything is logged or audited.

ID numbers are checked with their ISO 7064 check digit and card numbers with the Luhn check, so an
amount or a policy number of the same length is not masked by mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class PersonalDataKind(str, Enum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    BANK_CARD = "bank_card"
    EMAIL = "email"


@dataclass(frozen=True)
class PersonalDataMatch:
    kind: PersonalDataKind
    start: int
    end: int
    text: str


_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
_CARD = re.compile(r"(?<!\d)(?:\d[\s-]?){15,18}\d(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

MASKS = {
    PersonalDataKind.ID_NUMBER: "[身份证号]",
    PersonalDataKind.PHONE: "[电话]",
    PersonalDataKind.BANK_CARD: "[银行卡号]",
    PersonalDataKind.EMAIL: "[邮箱]",
}


def valid_id_number(number: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_personal_data(text: str) -> list[PersonalDataMatch]:
    """Non-overlapping matches in reading order; the first kind to claim a span keeps it."""
    found: list[PersonalDataMatch] = []
    taken: list[tuple[int, int]] = []

    def claim(kind: PersonalDataKind, m: re.Match[str]) -> None:
        if any(m.start() < e and s < m.end() for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append(PersonalDataMatch(kind, m.start(), m.end(), m.group(0)))

    for m in _EMAIL.finditer(text):
        claim(PersonalDataKind.EMAIL, m)
    for m in _ID_NUMBER.finditer(text):
        if valid_id_number(m.group(0)):
            claim(PersonalDataKind.ID_NUMBER, m)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 16 <= len(digits) <= 19 and luhn_valid(digits):
            claim(PersonalDataKind.BANK_CARD, m)
    for pattern in (_MOBILE, _LANDLINE):
        for m in pattern.finditer(text):
            claim(PersonalDataKind.PHONE, m)
    return sorted(found, key=lambda f: f.start)


def mask_personal_data(text: str) -> str:
    """The text with each piece of personal data replaced by a label such as [身份证号]."""
    out, last = [], 0
    for match in find_personal_data(text):
        out.append(text[last : match.start])
        out.append(MASKS[match.kind])
        last = match.end
    out.append(text[last:])
    return "".join(out)
