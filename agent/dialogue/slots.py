"""Slots of a complaint or claim report, read from the customer's own words: the policy, account or
card number concerned, the date, what happened, and a contact. Each message fills what it can."""

from __future__ import annotations

import re
from datetime import date, timedelta

from agent.policy.personal_data import PersonalDataKind, find_personal_data

_REFERENCE = re.compile(r"(?:保单号?|合同号|(账号|卡号)|policy(?: number| no\.?)?"
                        r"|(account(?: number)?|card(?: number)?))"
                        r"\s*[:：是为#]?\s*([A-Za-z]{0,4}\d[\d\s-]{5,22}\d)", re.IGNORECASE)
_BARE_REFERENCE = re.compile(r"(?<![\d.])([A-Za-z]{1,4}\d{6,20}|\d{10,20})(?![\d.])")
_ISO_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})[日号]")
_RELATIVE = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "today": 0, "yesterday": 1}
_MIN_DESCRIPTION = 6  # characters: "我要投诉" alone says nothing about what happened


def _date(text: str, today: date) -> str | None:
    if m := _ISO_DATE.search(text):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    if m := _MONTH_DAY.search(text):
        try:
            day = date(today.year, int(m.group(1)), int(m.group(2)))
        except ValueError:
            return None
        return (day if day <= today else day.replace(year=today.year - 1)).isoformat()
    lowered = text.lower()
    for word, back in _RELATIVE.items():
        if word in lowered:
            return (today - timedelta(days=back)).isoformat()
    return None


def _as_card(digits: str) -> str:
    """A card or account number in the groups of four it is printed in: read as one wherever it is
    stored, so masking finds it even when its check digit is wrong (a mistyped card number)."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def extract_slots(text: str, wanted: tuple[str, ...], today: date | None = None) -> dict[str, str]:
    """The slots among ``wanted`` that ``text`` fills. ``what_happened`` is the message itself when it
    says more than the other slots and the intent words."""
    today = today or date.today()
    found: dict[str, str] = {}
    personal = find_personal_data(text)
    contacts = [m.text for m in personal if m.kind in (PersonalDataKind.PHONE, PersonalDataKind.EMAIL)]
    if "contact" in wanted and contacts:
        found["contact"] = contacts[0]
    if "reference" in wanted:
        cards = [m.text for m in personal if m.kind is PersonalDataKind.BANK_CARD]
        if m := _REFERENCE.search(text):
            number = re.sub(r"[\s-]", "", m.group(3))
            found["reference"] = _as_card(number) if (m.group(1) or m.group(2)) and number.isdigit() else number
        elif cards:
            found["reference"] = _as_card(re.sub(r"\D", "", cards[0]))
        elif (bare := _BARE_REFERENCE.search(text)) and bare.group(1) not in "".join(contacts):
            found["reference"] = bare.group(1)
    if "date" in wanted and (day := _date(text, today)):
        found["date"] = day
    if "what_happened" in wanted:
        rest = text
        for value in (*contacts, found.get("reference", "")):
            rest = rest.replace(value, "") if value else rest
        if len(re.sub(r"[\W_\d]+", "", rest)) >= _MIN_DESCRIPTION:
            found["what_happened"] = text.strip()
    return found
