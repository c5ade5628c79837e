"""Quizzes: multiple-choice and open questions generated from clauses, each key checked against its source.

The model drafts an item from one clause; the item is kept only when the clause supports the key
(lexical support of the key option, every number of it found in the clause with the same unit) and no
distractor is supported as well. Discarded items are counted by reason, so the share of usable items is measurable.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from agent.answering.grounding import support
from agent.llm import ChatLLM
from agent.prompting import load_prompt, render
from agent.trainer.bank import LETTERS
from agent.trainer.choice import parse_choice
from agent.trainer.clauses import Clause

KEY_SUPPORT = 0.5
QUOTE_SUPPORT = 0.6
_SHORT = 5  # options shorter than this (e.g. "15日") are judged with the question and by their numbers
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_FIELD = re.compile(r"^\s*(问题|[A-D]|答案|依据|参考答案)\s*[:：.．、]\s*(.*)$")


@dataclass(frozen=True)
class QuizItem:
    kind: str  # "mcq" | "open"
    question: str
    answer: str  # the letter for mcq, the reference answer for open
    clause: Clause
    options: tuple[str, ...] = ()
    quote: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "question": self.question, "options": list(self.options),
                "answer": self.answer, "quote": self.quote, "source": self.clause.label(),
                "chunk_id": self.clause.chunk_id}


@dataclass(frozen=True)
class Quiz:
    topic: str
    items: tuple[QuizItem, ...]
    generated: int
    discarded: dict[str, int] = field(default_factory=dict)  # reason -> count

    @property
    def supported_share(self) -> float:
        return len(self.items) / self.generated if self.generated else 0.0


def numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(text))


def parse_item(text: str, kind: str, clause: Clause) -> QuizItem | None:
    """The drafted item, or None when a field is missing."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        m = _FIELD.match(line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2).strip()
    question = fields.get("问题", "")
    if kind == "open":
        answer = fields.get("参考答案", "")
        return QuizItem("open", question, answer, clause) if question and answer else None
    options = tuple(fields.get(letter, "") for letter in LETTERS)
    letter = parse_choice(fields.get("答案", ""))
    if not question or not all(options) or letter is None:
        return None
    return QuizItem("mcq", question, letter, clause, options, fields.get("依据", ""))


def _quantities_in(option: str, source: str) -> bool:
    """Every number of the option occurs in the source with the same unit after it ("1万元" is not
    supported by a list item "2." nor by "300万元"); 天 and 日 count as the same unit."""
    option, source = option.replace("天", "日"), source.replace("天", "日")
    for m in _NUMBER.finditer(option):
        unit = option[m.end(): m.end() + 1].strip()
        if not re.search(rf"(?<![\d.]){re.escape(m.group(0))}(?![\d]){re.escape(unit)}", source):
            return False
    return True


def _option_supported(question: str, option: str, source: str) -> bool:
    if not _quantities_in(option, source):
        return False
    if len(option) < _SHORT:
        return bool(numbers(option)) or support(question + option, source) >= KEY_SUPPORT
    return support(option, source) >= KEY_SUPPORT


def verify_item(item: QuizItem) -> str | None:
    """None when the clause supports the key, else why the item is discarded."""
    source = item.clause.text
    if item.kind == "open":
        return None if support(item.answer, source) >= KEY_SUPPORT and numbers(item.answer) <= numbers(source) \
            else "key_unsupported"
    if len(set(item.options)) < len(item.options):
        return "duplicate_options"
    key = item.options[LETTERS.index(item.answer)]
    if not _option_supported(item.question, key, source):
        return "key_unsupported"
    if item.quote and support(item.quote, source) < QUOTE_SUPPORT:
        return "quote_not_in_clause"
    for letter, option in zip(LETTERS, item.options, strict=True):
        if letter != item.answer and (numbers(option) or len(option) >= _SHORT) \
                and _option_supported(item.question, option, source):
            return "distractor_also_supported"
    return None


def draft_item(llm: ChatLLM, clause: Clause, kind: str) -> str:
    prompt = load_prompt("trainer_quiz", "zh")
    user = render(prompt["user"], title=clause.document_title, section=clause.section,
                  text=clause.text[: int(prompt["clip"])])
    return "".join(llm.stream(prompt["system_mcq" if kind == "mcq" else "system_open"], user))


def build_quiz(llm: ChatLLM, topic: str, clauses: list[Clause], n: int, open_every: int = 3) -> Quiz:
    """Up to ``n`` checked items, one drafted per clause (every ``open_every``-th an open question;
    0 for multiple choice only). The first ``n`` clauses are used; discarded drafts are not replaced."""
    items: list[QuizItem] = []
    discarded: Counter[str] = Counter()
    generated = 0
    for i, clause in enumerate(clauses[:n]):
        kind = "open" if open_every and (i + 1) % open_every == 0 else "mcq"
        generated += 1
        item = parse_item(draft_item(llm, clause, kind), kind, clause)
        reason = "malformed" if item is None else verify_item(item)
        if reason is not None:
            discarded[reason] += 1
        elif item is not None:
            items.append(item)
    return Quiz(topic, tuple(items), generated, dict(discarded))


def grade_choice(item: QuizItem, reply: str) -> tuple[bool, str]:
    """Whether the trainee picked the key, with feedback quoting the clause."""
    picked = parse_choice(reply, item.options)
    key_text = item.options[LETTERS.index(item.answer)]
    verdict = "正确" if picked == item.answer else f"不正确（你选了{picked or '无法识别的选项'}）"
    return picked == item.answer, f"{verdict}。答案 {item.answer}：{key_text}。依据{item.clause.cite(key_text)}"
