"""Guardrails around the model: a message that tries to steer the assistant is declined before
retrieval; instruction-like lines inside retrieved documents are dropped before they reach the prompt
(document text is data); a reply that repeats the system prompt is never shown."""

from __future__ import annotations

import re
from functools import cache

from agent.prompting import load_policy

LEAK_RUN = 24  # characters of the system prompt a reply may not repeat
_EXAMPLE = re.compile(r"\n\s*(?:示例|Examples?)\s*:?\s*\n")  # where the prompt's worked example begins


@cache
def _injection() -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in load_policy("guardrails")["injection"]]


@cache
def _document_injection() -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in load_policy("guardrails").get("document_injection", ())]


def looks_like_injection(text: str) -> bool:
    return any(p.search(text) for p in _injection())


def addresses_the_assistant(line: str) -> bool:
    """Whether a line of a document gives the assistant instructions (customer-message rules, plus
    the document-only ones: "AI助手请注意", "<!-- 给AI的指令 -->", "note to the assistant")."""
    return looks_like_injection(line) or any(p.search(line) for p in _document_injection())


def strip_instructions(document_text: str) -> tuple[str, int]:
    """The document text without lines that address the assistant, and how many lines were dropped."""
    kept, dropped = [], 0
    for line in document_text.splitlines():
        if addresses_the_assistant(line):
            dropped += 1
        else:
            kept.append(line)
    return "\n".join(kept), dropped


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def leaks_prompt(reply: str, system_prompt: str, run: int = LEAK_RUN) -> bool:
    """Whether ``reply`` repeats ``run`` or more consecutive characters of the system prompt's rules
    (whitespace ignored). The prompt's worked example is excluded: its sentences are ordinary answers."""
    rules = _squash(_EXAMPLE.split(system_prompt)[0])
    said = _squash(reply)
    if len(said) < run:
        return False
    return any(rules[i : i + run] in said for i in range(0, max(1, len(rules) - run + 1)))
