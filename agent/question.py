"""What the dialogue hands the answerer: one customer question, its language detected once, and the
earlier question a follow-up continues, kept apart rather than joined into one string."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.metadata import detect_language


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    # The earlier standalone question this follow-up continues ("那五年期呢？" after "三年期利率多少？");
    # "" when the question stands alone. Never the assistant's answer (agent/dialogue/followup.py says why).
    previous: str = ""

    @classmethod
    def of(cls, text: str) -> Question:
        """A question asked on its own, outside a conversation (a test, a one-off call)."""
        return cls(text.strip(), detect_language(text))

    @property
    def standalone(self) -> str:
        """The question completed with the one it continues: what is retrieved with and what the model reads."""
        return f"{self.previous} {self.text}" if self.previous else self.text
