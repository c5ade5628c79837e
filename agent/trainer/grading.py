"""Grading a trainee's open answer against the answer key: key-fact coverage, optional LLM judgment.

Coverage is deterministic: the key is cut into facts (clauses between commas and full stops); a fact
is covered when the answer holds most of its terms and every number in it, and contradicted when the
answer flips one of its negations (承担 where the key says 不承担 fails the answer outright). The
feedback quotes the source clause of every missed fact, so the trainee learns from the document, not
from the grader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.answering.grounding import support
from agent.llm import ChatLLM
from agent.prompting import load_prompt, render
from agent.trainer.clauses import Clause, contradicts

FACT_SUPPORT = 0.4  # lower than the answer check's 0.5: trainees paraphrase
_FACT_SPLIT = re.compile(r"[，。；;,！!？?\n]+|、(?=\S{6,})")
_MIN_FACT_CHARS = 4


@dataclass(frozen=True)
class OpenGrade:
    correct: bool
    coverage: float  # share of the key's facts the answer covers
    covered: tuple[str, ...]
    missed: tuple[str, ...]
    feedback: str
    llm_verdict: bool | None = None  # the LLM judge's opinion when one was asked
    contradicted: tuple[str, ...] = ()  # facts the answer states with the opposite polarity


def key_facts(key: str) -> list[str]:
    """The key cut into facts worth checking one by one (fragments of a few characters are dropped)."""
    facts = [f.strip() for f in _FACT_SPLIT.split(key)]
    return list(dict.fromkeys(f for f in facts if len(f) >= _MIN_FACT_CHARS)) or [key.strip()]


def fact_status(fact: str, answer: str, threshold: float = FACT_SUPPORT) -> str:
    """Covered: most of the fact's terms and all its numbers are in the answer. Contradicted: the
    answer's closest clause flips a negation of the fact (承担 for 不承担). Else missed."""
    if not answer or support(fact, answer) < threshold:
        return "missed"
    fragments = [f for f in _FACT_SPLIT.split(answer) if f.strip()] or [answer]
    closest = max(fragments, key=lambda s: support(fact, s))
    return "contradicted" if contradicts(closest, fact) else "covered"


def grade_open_answer(answer: str, key: str, clause: Clause | None = None, pass_coverage: float = 0.6,
                      llm: ChatLLM | None = None, question: str = "") -> OpenGrade:
    """Grade ``answer`` against ``key``: correct when it covers ``pass_coverage`` of the key's facts and
    contradicts none. With ``llm`` the local model also judges, and decides borderline coverage
    (within 0.25 of the pass mark, no contradiction)."""
    answer = answer.strip()
    facts = key_facts(key)
    status = {f: fact_status(f, answer) for f in facts}
    covered = [f for f in facts if status[f] == "covered"]
    contradicted = [f for f in facts if status[f] == "contradicted"]
    missed = [f for f in facts if status[f] != "covered"]
    coverage = len(covered) / len(facts)
    correct = coverage >= pass_coverage and not contradicted
    verdict = None
    if llm is not None and answer:
        verdict = judge_with_llm(llm, question, key, answer)
        if verdict is not None and not contradicted and abs(coverage - pass_coverage) < 0.25:
            correct = verdict
    return OpenGrade(correct, coverage, tuple(covered), tuple(missed),
                     _feedback(correct, covered, missed, contradicted, clause), verdict, tuple(contradicted))


def _feedback(correct: bool, covered: list[str], missed: list[str], contradicted: list[str],
              clause: Clause | None) -> str:
    total = len(covered) + len(missed)
    head = f"{'回答正确' if correct else '回答不完整或有误'}：覆盖要点 {len(covered)}/{total}。"
    if contradicted:
        head += "与条款相反：" + "；".join(contradicted) + "。"
    rest = [m for m in missed if m not in contradicted]
    if rest:
        head += "遗漏或说错：" + "；".join(rest) + "。"
    if clause is not None:
        head += "依据" + clause.cite("，".join(missed) or "，".join(covered))
    return head


def judge_with_llm(llm: ChatLLM, question: str, key: str, answer: str) -> bool | None:
    """The local LLM's verdict (correct / incorrect), or None when its reply says neither."""
    prompt = load_prompt("trainer_judge", "zh")
    reply = ""
    for piece in llm.stream(prompt["system"], render(prompt["user"], question=question, key=key, answer=answer)):
        reply += piece
        if len(reply) > 20:
            break
    head = reply.strip()[:12]
    if "错误" in head or "不正确" in head:
        return False
    if "正确" in head:
        return True
    return None
