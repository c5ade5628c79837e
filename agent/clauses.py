"""Find the clause a product parameter or a required disclosure rests on, and cite it.

Parameters and disclosures are data that name a document file and a section heading; this module
looks that section up in the knowledge base, so the citation points at the live chunk and quotes the
line that states the figure. When the knowledge base does not hold the clause, there is nothing to
cite and callers fall back to the ordinary answer path.
"""

from __future__ import annotations

from pathlib import PurePath

from agent.reply import Citation
from knowledge.products import ClauseRef
from knowledge.store import IndexSnapshot

_QUOTE_CHARS = 160


def cite_clause(snapshot: IndexSnapshot, ref: ClauseRef, n: int, needle: str = "") -> Citation | None:
    """A citation numbered ``n`` of the section ``ref`` names, quoting the first line holding ``needle``
    (the whole section's start when ``needle`` is empty or absent); None when the section is not there."""
    chunks = [c for c in snapshot.chunks
              if c.section_path and c.section_path[-1].strip() == ref.section
              and PurePath(snapshot.documents[c.document_id].source).name == ref.document]
    if not chunks:
        return None
    chunk = next((c for c in chunks if needle and needle in c.text), chunks[0])
    lines = [line.strip() for line in chunk.text.splitlines() if line.strip() and not line.startswith("#")]
    quote = next((line for line in lines if needle and needle in line), " ".join(lines))[:_QUOTE_CHARS]
    document = snapshot.documents[chunk.document_id]
    return Citation(n=n, chunk_id=chunk.id, document_id=document.id, document_title=document.title,
                    section=chunk.section(), quote=quote)
