"""Intent routing: complaint, claim report, request for a human, small talk, or a question for the
documents. Patterns are data (prompts/intents.yaml); the first intent in the configured order wins."""

from __future__ import annotations

import re
from functools import cache

from agent.prompting import load_policy
from agent.reply import Intent


@cache
def _rules() -> list[tuple[Intent, list[re.Pattern[str]]]]:
    policy = load_policy("intents")
    return [(Intent(name), [re.compile(p, re.IGNORECASE) for p in policy["intents"][name]["patterns"]])
            for name in policy["order"]]


def classify_intent(text: str) -> Intent:
    for intent, patterns in _rules():
        if any(p.search(text) for p in patterns):
            return intent
    return Intent.QUESTION


@cache
def required_slots(intent: Intent) -> tuple[str, ...]:
    return tuple(load_policy("intents")["slots"].get(intent.value, ()))
