"""The local LLM as faithfulness judge, with self-consistency and the lexical rule as fallback.

For each claim sentence the packaged LLM is asked ``samples`` times, at a temperature above zero,
whether the cited text supports it (prompt: ``prompts/faithfulness_judge.yaml``). The majority of the
votes it could read decides; when the votes tie, none could be read, or the model cannot be reached,
the deterministic rule of ``evals.metrics.sentence_supported`` decides, and the fallback is counted.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

import openai
import yaml
from langchain_core.messages import HumanMessage, SystemMessage

from agent.llm import ChatLLM
from agent.prompting import render
from evals.metrics import sentence_supported

log = logging.getLogger(__name__)
_YES = re.compile(r"^\W*(yes|是|支持|对)", re.I)
_NO = re.compile(r"^\W*(no|否|不)", re.I)


@cache
def _prompt() -> dict[str, str]:
    text = resources.files("evals").joinpath("prompts/faithfulness_judge.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def read_vote(text: str) -> bool | None:
    """YES -> True, NO -> False, anything else -> None."""
    if _YES.match(text):
        return True
    if _NO.match(text):
        return False
    return None


@dataclass
class JudgeStats:
    sentences: int = 0
    fallbacks: int = 0  # decided by the lexical rule: tied or unreadable votes, or no model
    disagreements: int = 0  # LLM verdicts the lexical rule would have decided the other way

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "llm", **asdict(self)}


class LlmJudge:
    def __init__(self, llm: ChatLLM, samples: int = 3, temperature: float = 0.7) -> None:
        self.llm = llm
        self.samples = samples
        self.temperature = temperature
        self.stats = JudgeStats()

    def _votes(self, claim: str, source: str) -> list[bool]:
        prompt = _prompt()
        messages = [SystemMessage(render(prompt["system"])),
                    HumanMessage(render(prompt["user"], claim=claim, source=source))]
        votes = []
        for _ in range(self.samples):
            try:
                reply = self.llm.client().invoke(messages, temperature=self.temperature, max_tokens=4)
            except (openai.OpenAIError, OSError) as err:
                log.warning("faithfulness judge: the LLM did not answer (%s); using the lexical rule", err)
                break
            vote = read_vote(str(reply.content))
            if vote is not None:
                votes.append(vote)
        return votes

    def __call__(self, claim: str, source: str) -> bool:
        lexical = sentence_supported(claim, source)
        votes = self._votes(claim, source)
        self.stats.sentences += 1
        yes, no = votes.count(True), votes.count(False)
        if yes == no:
            self.stats.fallbacks += 1
            return lexical
        verdict = yes > no
        self.stats.disagreements += verdict != lexical
        return verdict
