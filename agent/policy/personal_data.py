"""Personal data in customer text: Chinese resident ID numbers, mobile and landline numbers, bank card
numbers, e-mail addresses. Found so they can be masked before anything is logged or audited.

ID numbers are checked with their ISO 7064 check digit and card numbers with the Luhn check, so an
amount or a policy number of the same length is not masked by mistake. A card number that fails the
Luhn check is still masked when the customer writes it as one (in groups of four, or right after 卡号 /
card number): a mistyped card number is still a card number. Full-width digits and separators
(６２２２－０２１２) are read as their ASCII forms.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
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
_GROUPED_CARD = re.compile(r"\d{4}(?:[\s-]\d{4}){3}(?:[\s-]?\d{1,3})?")
_CARD_WORDS = re.compile(r"(?:卡号|银行卡|信用卡|借记卡|储蓄卡|账号|账户"
                         r"|card(?:\s*(?:number|no\.?))?|account(?:\s*(?:number|no\.?))?)"
                         r"\s*(?:是|为|:|：|#)?\s*$", re.IGNORECASE)
# Full-width forms customers type on Chinese keyboards, mapped one character to one, so offsets hold.
_HALF_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                             **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
                             **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
                             "\uff0d": "-", "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u3000": " ",
                             "\uff0b": "+", "\uff20": "@", "\uff0e": ".", "\uff3f": "_"})
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


def _written_as_card(text: str, m: re.Match[str]) -> bool:
    """The customer wrote a card number, valid or not: in groups of four, or right after a card word."""
    return bool(_GROUPED_CARD.fullmatch(m.group(0).strip())) or bool(_CARD_WORDS.search(text[max(0, m.start() - 16):
                                                                                             m.start()]))


def find_personal_data(text: str) -> list[PersonalDataMatch]:
    """Non-overlapping matches in reading order; the first kind to claim a span keeps it. ``text`` of each
    match is the original characters (full-width digits stay full-width)."""
    original, text = text, text.translate(_HALF_WIDTH)
    found: list[PersonalDataMatch] = []
    taken: list[tuple[int, int]] = []

    def claim(kind: PersonalDataKind, m: re.Match[str]) -> None:
        if any(m.start() < e and s < m.end() for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append(PersonalDataMatch(kind, m.start(), m.end(), original[m.start() : m.end()]))

    for m in _EMAIL.finditer(text):
        claim(PersonalDataKind.EMAIL, m)
    for m in _ID_NUMBER.finditer(text):
        if valid_id_number(m.group(0)):
            claim(PersonalDataKind.ID_NUMBER, m)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 16 <= len(digits) <= 19 and (luhn_valid(digits) or _written_as_card(text, m)):
            claim(PersonalDataKind.BANK_CARD, m)
    for pattern in (_MOBILE, _LANDLINE):
        for m in pattern.finditer(text):
            claim(PersonalDataKind.PHONE, m)
    return sorted(found, key=lambda f: f.start)


def mask_personal_data(text: str) -> str:
    """The text with each piece of personal data replaced by a label such as [身份证号]."""
    return _replace(text, lambda match: MASKS[match.kind])


def _replace(text: str, mask: Callable[[PersonalDataMatch], str]) -> str:
    out, last = [], 0
    for match in find_personal_data(text):
        out.append(text[last : match.start])
        out.append(mask(match))
        last = match.end
    out.append(text[last:])
    return "".join(out)


def masked_hint(match: PersonalDataMatch) -> str:
    """A masked form staff can check a caller against (the last four digits, the mail domain), as banks
    print them: [电话 尾号5678], [银行卡号 尾号7890], [邮箱 ***@example.com]."""
    label = MASKS[match.kind][:-1]
    if match.kind is PersonalDataKind.EMAIL:
        return f"{label} ***@{match.text.rsplit('@', 1)[-1]}]"
    digits = re.sub(r"[^0-9Xx]", "", match.text.translate(_HALF_WIDTH))
    return f"{label} 尾号{digits[-4:]}]"


def mask_for_staff(text: str) -> str:
    """Like :func:`mask_personal_data`, with the hint of :func:`masked_hint` kept in each mask."""
    return _replace(text, masked_hint)


class PersonalDataLogFilter(logging.Filter):
    """Masks personal data in every log record (message and arguments) before a handler writes it: an
    exception message or a library's debug line may quote what a customer typed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report, not ours
            return True
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal_data(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


def mask_logs(logger: logging.Logger | None = None) -> None:
    """Install :class:`PersonalDataLogFilter` on the handlers of ``logger`` (the root logger by default)
    and on the logger itself; idempotent."""
    target = logger or logging.getLogger()
    for holder in (target, *target.handlers):
        if not any(isinstance(f, PersonalDataLogFilter) for f in holder.filters):
            holder.addFilter(PersonalDataLogFilter())
