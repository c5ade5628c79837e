"""Find the [n] markers a model wrote, keep those that point at real evidence, drop the rest."""

from __future__ import annotations

import re

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
            quote=evidence[n - 1].chunk.text[:_QUOTE_CHARS],
        )
        for n in sorted(used)
    )
    return cleaned.strip(), citations
