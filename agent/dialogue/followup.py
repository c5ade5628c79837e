"""Follow-up questions ("那五年期呢？", "what about the 5-year one?") lean on the question before; for
retrieval they are completed with that earlier *question* only, never with the assistant's answer, so a
wrong or refused answer cannot steer what is retrieved next."""

from __future__ import annotations

import re

_FOLLOW_UP = re.compile(
    r"^\s*(那|那么|那如果|如果是|还有|另外|再问|换成|改成|and\b|what about\b|how about\b|and if\b|what if\b)",
    re.IGNORECASE,
)
_ELLIPTIC_END = re.compile(r"(呢|的呢)[？?]?\s*$")
_SHORT = 8  # characters; a question this short rarely stands alone ("五年期的？")


def is_follow_up(question: str) -> bool:
    text = question.strip()
    return bool(_FOLLOW_UP.match(text) or _ELLIPTIC_END.search(text) or len(re.sub(r"\W", "", text)) <= _SHORT)


def continued_question(question: str, previous_questions: list[str]) -> str:
    """The last standalone question a follow-up continues; "" when ``question`` stands on its own."""
    if not previous_questions or not is_follow_up(question):
        return ""
    return previous_questions[-1]
