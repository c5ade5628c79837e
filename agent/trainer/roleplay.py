"""Role-play: the LLM plays a difficult customer turn by turn; each staff reply is scored by the rubric."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from agent.llm import ChatLLM
from agent.prompting import load_prompt, render
from agent.trainer.clauses import Clause
from agent.trainer.rubric import Disclosure, ReplyScore, score_reply
from knowledge import HybridRetriever, SearchFilters

EVIDENCE = 3


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    topic: str  # product tag whose documents the scenario is about
    query: str  # what to retrieve for the scenario
    situation: str
    opening: str
    disclosures: tuple[Disclosure, ...]


@cache
def personas() -> dict[str, Persona]:
    data = yaml.safe_load(resources.files("agent.prompts").joinpath("trainer_personas.yaml")
                          .read_text(encoding="utf-8"))
    return {p["id"]: Persona(p["id"], p["name"], p["topic"], p["query"], p["situation"].strip(), p["opening"],
                             tuple(Disclosure(d["name"], tuple(d["any"])) for d in p["disclosures"]))
            for p in data["personas"]}


def persona(persona_id: str) -> Persona:
    try:
        return personas()[persona_id]
    except KeyError:
        raise ValueError(f"unknown persona {persona_id!r}; choose one of: {', '.join(personas())}") from None


@dataclass(frozen=True)
class Turn:
    speaker: str  # 客户 | 员工
    text: str


@dataclass
class RolePlay:
    """One rehearsal. ``opening()`` gives the customer's first line; ``respond()`` scores the staff reply
    and returns the customer's next line."""

    llm: ChatLLM
    retriever: HybridRetriever
    persona: Persona
    turns: list[Turn] = field(default_factory=list)
    scores: list[ReplyScore] = field(default_factory=list)

    def opening(self) -> str:
        if not self.turns:
            self.turns.append(Turn("客户", self.persona.opening))
        return self.turns[0].text

    def evidence(self, reply: str) -> list[Clause]:
        filters = SearchFilters(products=(self.persona.topic,))
        found = self.retriever.run(f"{self.persona.query} {reply}", EVIDENCE, filters)
        return [Clause.from_evidence(e) for e in found]

    def score(self, reply: str) -> ReplyScore:
        return score_reply(reply, self.persona.disclosures, self.evidence(reply))

    def respond(self, reply: str) -> tuple[ReplyScore, str]:
        if not reply.strip():
            raise ValueError("the staff reply is empty; type what you would say to the customer")
        self.opening()
        score = self.score(reply)
        self.scores.append(score)
        self.turns.append(Turn("员工", reply.strip()))
        customer = self.customer_line()
        self.turns.append(Turn("客户", customer))
        return score, customer

    def customer_line(self) -> str:
        prompt: dict[str, Any] = load_prompt("trainer_roleplay", "zh")  # type: ignore[assignment]
        kept = self.turns[-int(prompt["turns_kept"]):]
        system = render(prompt["system"], situation=self.persona.situation)
        user = render(prompt["user"], turns=[{"speaker": t.speaker, "text": t.text} for t in kept])
        text = ""
        for piece in self.llm.stream(system, user):
            text += piece
            if len(text) >= int(prompt["max_chars"]) or ("\n" in text.strip()):
                break
        line = text.strip().splitlines()[0] if text.strip() else ""
        for prefix in ("客户：", "客户:"):
            line = line.removeprefix(prefix)
        if not line.strip():
            raise RuntimeError(f"the LLM ({self.llm.backend}) wrote no customer line; check the model server")
        return line.strip()

    @property
    def mean_score(self) -> float:
        return sum(s.total for s in self.scores) / len(self.scores) if self.scores else 0.0
