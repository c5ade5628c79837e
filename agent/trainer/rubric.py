"""Scoring a staff reply in role-play against a rubric kept as data (agent/prompts/rubrics/).

Every criterion here is a rule: deterministic, explainable, and tested. Accuracy is the share of the
reply's factual sentences that the retrieved clauses support (agent.answering.grounding); disclosures are the
persona's required points; forbidden promises (保本, 稳赚, guaranteed) count unless denied ("不保本");
empathy and next step are wording checks. Feedback quotes the clause the staff member should have used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from agent.answering.grounding import check_support, split_sentences, support
from agent.trainer.clauses import Clause

_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Disclosure:
    name: str
    any: tuple[str, ...]


@dataclass(frozen=True)
class CriterionScore:
    criterion: str
    title: str
    score: float  # 0..1
    weight: float
    feedback: str


@dataclass(frozen=True)
class ReplyScore:
    criteria: tuple[CriterionScore, ...]

    @property
    def total(self) -> float:
        """Weighted score out of 100."""
        weight = sum(c.weight for c in self.criteria)
        return round(100 * sum(c.score * c.weight for c in self.criteria) / weight, 1) if weight else 0.0

    def by_name(self, criterion: str) -> CriterionScore:
        return next(c for c in self.criteria if c.criterion == criterion)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "criteria": [c.__dict__ for c in self.criteria]}


@cache
def load_rubric(name: str = "roleplay.zh") -> dict[str, Any]:
    text = resources.files("agent.prompts").joinpath(f"rubrics/{name}.yaml").read_text(encoding="utf-8")
    rubric: dict[str, Any] = yaml.safe_load(text)
    return rubric


# A clause that refuses a promise ("我们不能保证5%的收益") states no fact to hold to the clauses.
_DENIAL = re.compile(r"[^，,；;。]*(?:不能|无法|不会|不)(?:保证|承诺)[^，,；;。]*[，,；;]?")


def _claims(reply: str, cues: list[str], courtesy: list[str]) -> list[str]:
    claims = []
    for sentence in split_sentences(_DENIAL.sub("", reply)):
        if _DIGIT.search(sentence) or (any(c in sentence for c in cues)
                                       and not any(p in sentence for p in courtesy)):
            claims.append(sentence.strip())
    return claims


def score_accuracy(reply: str, evidence: list[Clause], rule: dict[str, Any], courtesy: list[str]) -> CriterionScore:
    claims = _claims(reply, list(rule["claim_cues"]), courtesy)
    title, weight = rule["title"], float(rule["weight"])
    if not claims:
        return CriterionScore("accuracy", title, 0.0, weight, "回复没有给出任何有条款依据的具体信息。")
    texts = [c.text for c in evidence]
    minimum = float(rule["min_support"])
    unsupported = [c for c in claims if check_support(c, texts, minimum).dropped] if texts else claims
    score = 1 - len(unsupported) / len(claims)
    if not unsupported:
        best = max(evidence, key=lambda c: support(reply, c.text))
        return CriterionScore("accuracy", title, score, weight, f"说法与条款一致。依据{best.cite(reply)}")
    feedback = "以下说法在条款中找不到依据：" + "；".join(unsupported)
    if evidence:
        best = max(evidence, key=lambda c: support(unsupported[0], c.text))
        feedback += f"。请对照{best.cite(unsupported[0])}"
    return CriterionScore("accuracy", title, score, weight, feedback)


def score_disclosures(reply: str, disclosures: tuple[Disclosure, ...], evidence: list[Clause],
                      rule: dict[str, Any]) -> CriterionScore:
    title, weight = rule["title"], float(rule["weight"])
    if not disclosures:
        return CriterionScore("disclosures", title, 1.0, weight, "本场景没有必须告知的事项。")
    missing = [d for d in disclosures if not any(term in reply for term in d.any)]
    score = 1 - len(missing) / len(disclosures)
    if not missing:
        return CriterionScore("disclosures", title, score, weight, "必要事项均已告知。")
    parts = []
    for d in missing:
        source = next((c for c in evidence if any(t in c.text for t in d.any)), None)
        parts.append(d.name + (f"（{source.cite(' '.join(d.any))}）" if source else ""))
    return CriterionScore("disclosures", title, score, weight, "未告知：" + "；".join(parts))


def forbidden_promises(reply: str, rule: dict[str, Any]) -> list[str]:
    """Forbidden phrases the reply uses as promises (a phrase right after a negation is a denial)."""
    lowered = reply.lower()
    window = int(rule["window"])
    negations = [n.lower() for n in rule["negations"]]
    found: list[str] = []
    for phrase in sorted(rule["phrases"], key=len, reverse=True):
        p = phrase.lower()
        for m in re.finditer(re.escape(p), lowered):
            before = lowered[max(0, m.start() - window): m.start()]
            if any(n in before for n in negations):
                continue
            if any(p in f and p != f for f in found):  # a longer phrase already covers this hit
                continue
            found.append(phrase)
            break
    return found


def score_forbidden(reply: str, rule: dict[str, Any]) -> CriterionScore:
    found = forbidden_promises(reply, rule)
    title, weight = rule["title"], float(rule["weight"])
    if found:
        return CriterionScore("forbidden", title, 0.0, weight,
                              f"出现禁止性承诺：{'、'.join(found)}。不得承诺保本、收益或赔付结果。")
    return CriterionScore("forbidden", title, 1.0, weight, "没有违规承诺。")


def score_empathy(reply: str, rule: dict[str, Any]) -> CriterionScore:
    title, weight = rule["title"], float(rule["weight"])
    rude = [p for p in rule["rude"] if p in reply]
    if rude:
        return CriterionScore("empathy", title, 0.0, weight, f"语气不当：{'、'.join(rude)}。")
    kind = [p for p in rule["phrases"] if p in reply]
    if kind:
        return CriterionScore("empathy", title, 1.0, weight, f"有共情表达：{'、'.join(kind)}。")
    return CriterionScore("empathy", title, 0.5, weight, "语气中性；先回应客户的情绪，如“非常理解您的心情”。")


def score_next_step(reply: str, rule: dict[str, Any]) -> CriterionScore:
    title, weight = rule["title"], float(rule["weight"])
    offered = [p for p in rule["phrases"] if p in reply]
    if offered:
        return CriterionScore("next_step", title, 1.0, weight, f"给出了下一步：{'、'.join(offered)}。")
    return CriterionScore("next_step", title, 0.0, weight, "没有告诉客户下一步怎么做（办理、材料、渠道或转接）。")


def score_reply(reply: str, disclosures: tuple[Disclosure, ...], evidence: list[Clause],
                rubric: dict[str, Any] | None = None) -> ReplyScore:
    """Score one staff reply; ``evidence`` are the clauses retrieved for the scenario and the reply."""
    rules = (rubric or load_rubric())["criteria"]
    reply = reply.strip()
    return ReplyScore((
        score_accuracy(reply, evidence, rules["accuracy"], list(rules["empathy"]["phrases"])),
        score_disclosures(reply, disclosures, evidence, rules["disclosures"]),
        score_forbidden(reply, rules["forbidden"]),
        score_empathy(reply, rules["empathy"]),
        score_next_step(reply, rules["next_step"]),
    ))
