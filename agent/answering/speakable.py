"""Sentences a voice may say while the answer is still being generated.

The avatar should start talking after the first checked sentence, not after the whole answer, yet never
say what the final reply drops. Each finished sentence goes through the same sentence-local checks as the
final reply (a repeat of an earlier sentence, support by the evidence, promises of returns) and
everything said so far through the system-prompt leak check. Short sentences without a claim ("您好。")
wait for the first supported one, so a reply that ends up refused has said nothing of its own.
"""

from __future__ import annotations

from agent.answering.grounding import (
    MIN_SUPPORT,
    attribute,
    carries_claim,
    cited_numbers,
    sentence_key,
    split_sentences,
    strip_markers,
)
from agent.policy.compliance import drop_forbidden_promises
from agent.policy.guardrails import leaks_prompt
from agent.reply import Reply


class SpeakableSentences:
    """Feed it the answer text as it grows; it returns the sentences that became safe to say."""

    def __init__(self, evidence_texts: list[str], system_prompt: str, min_support: float = MIN_SUPPORT) -> None:
        self.evidence_texts = evidence_texts
        self.system_prompt = system_prompt
        self.min_support = min_support
        self._seen = 0  # finished sentences already judged
        self._keys: set[str] = set()
        self._waiting: list[str] = []  # claim-less sentences held until a supported one follows
        self._said = ""
        self.stopped = False  # a leak was caught: nothing more is said

    def push(self, text: str) -> list[str]:
        """The newly speakable sentences of ``text``, the answer so far (its last sentence may still grow)."""
        return self._judge(split_sentences(text)[:-1])

    def finish(self, text: str) -> list[str]:
        """The rest, once ``text`` is the whole generated answer."""
        ready = self._judge(split_sentences(text))
        if self._said and self._waiting and not self.stopped:  # claim-less closing words after an answer
            ready += self._waiting
            self._said += "".join(self._waiting)
            self._waiting = []
        return ready

    def _judge(self, sentences: list[str]) -> list[str]:
        ready: list[str] = []
        for sentence in sentences[self._seen:]:
            self._seen += 1
            plain = strip_markers(sentence).strip()
            key = sentence_key(plain)
            if self.stopped or not key or key in self._keys:
                continue
            self._keys.add(key)
            if not carries_claim(plain):
                self._waiting.append(plain)
                continue
            if not attribute(plain, self.evidence_texts, cited_numbers(sentence), self.min_support):
                continue  # the final reply's check (agent.answering.grounding.check_support) drops it too
            if not drop_forbidden_promises(plain, self.evidence_texts)[0]:
                continue
            candidate = [*self._waiting, plain]
            if leaks_prompt(self._said + "".join(candidate), self.system_prompt):
                self.stopped = True
                continue
            self._waiting = []
            self._said += "".join(candidate)
            ready.extend(candidate)
        return ready


def still_to_say(reply: Reply, said: list[str]) -> list[str]:
    """What a voice says when the Final arrives, having said the ``said`` Speakable sentences: nothing
    more for a generated answer (its disclosures came as Speakables too); the whole text for a reply
    that streamed no sentences (FAQ, calculator, dialogue) or that was refused after all."""
    if said and not reply.refused:
        return []
    return [s for s in (strip_markers(p).strip() for p in split_sentences(reply.text)) if s]
