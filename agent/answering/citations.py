"""Find the [n] markers a model wrote, keep those that point at real evidence, drop the rest."""

from __future__ import annotations

import re
from dataclasses import replace

from agent.answering.grounding import split_sentences, strip_markers, supporting_passage
from agent.reply import Citation
from knowledge import Evidence

# [1], [1][2], [1, 2], [1，2], 【1】 and the full-width digits some models emit.
_MARKER = re.compile(r"[\[【]\s*([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]】]")
_QUOTE_CHARS = 160


def _numbers(group: str) -> list[int]:
    return [int(n.translate(str.maketrans("０１２３４５６７８９", "0123456789"))) for n in re.split(r"[,，、]", group)]


def resolve_citations(text: str, evidence: list[Evidence]) -> tuple[str, tuple[Citation, ...]]:
    """The text with unknown markers removed, and a citation for each evidence number used."""
    used: list[int] = []

    def keep_known(match: re.Match[str]) -> str:
        known = [n for n in _numbers(match.group(1)) if 1 <= n <= len(evidence)]
        for n in known:
            if n not in used:
                used.append(n)
        return "".join(f"[{n}]" for n in known)

    cleaned = _MARKER.sub(keep_known, text)
    citations = tuple(
        Citation(
            n=n,
            chunk_id=evidence[n - 1].chunk.id,
            document_id=evidence[n - 1].document.id,
            document_title=evidence[n - 1].document.title,
            section=evidence[n - 1].chunk.section(),
            quote=quote(evidence[n - 1].chunk.text, claims_citing(cleaned, n)),
        )
        for n in sorted(used)
    )
    return cleaned.strip(), citations


def claims_citing(text: str, n: int) -> list[str]:
    """The sentences of ``text`` (markers normalised) that cite evidence ``n``."""
    return [strip_markers(s).strip() for s in split_sentences(text) if f"[{n}]" in s]


def quote(chunk_text: str, claims: list[str], limit: int = _QUOTE_CHARS) -> str:
    """What a citation shows: the passage of the chunk that states the claims citing it (the line or
    table row with the figure), not the chunk's first characters, which cut a rate off before its row."""
    passage = supporting_passage(claims, chunk_text, limit)
    return passage if len(passage) <= limit else passage[: limit - 1] + "…"


def renumber(text: str, citations: tuple[Citation, ...]) -> tuple[str, tuple[Citation, ...]]:
    """Citations numbered 1, 2, ... in the order the answer first uses them: a customer reading "[3]" with
    no [1] or [2] in sight wonders what is missing. Expects markers already normalised by
    :func:`resolve_citations`."""
    order: list[int] = []
    for match in re.finditer(r"\[(\d+)\]", text):
        n = int(match.group(1))
        if n not in order:
            order.append(n)
    mapping = {old: new for new, old in enumerate(order, 1)}
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
    kept = sorted((replace(c, n=mapping[c.n]) for c in citations if c.n in mapping), key=lambda c: c.n)
    return text, tuple(kept)
