"""What each bubble of the customer chat shows, from the moment a question is sent to the final reply.

A generated draft is not the answer: the support check at its end may still withdraw it (a refusal
replaces it). So while the model writes, the bubble shows only the sentences that already passed the
checks (the ones the avatar says) and "checking…"; before the first token it shows "answering…". The
final reply turns each [n] marker into a link that opens the cited passage under the answer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from agent import Reply
from ui.web import text

Message = dict[str, Any]
_MARKER = re.compile(r"\[(\d+)\]")

# Browser glue (gr.Blocks js=): a click on an [n] link opens that citation under its answer and, when it
# belongs to the latest answer, in the citations panel too.
CITATION_LINKS_JS = r"""() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.cite-ref') : null;
    if (!link) { return; }
    event.preventDefault();
    event.stopPropagation();
    const id = link.getAttribute('href').slice(1);  // cite-KEY-N (the chat drops data- attributes)
    const cited = document.getElementById(id);
    if (cited) { cited.open = true; cited.scrollIntoView({block: 'nearest'}); }
    const [, key, n] = id.match(/^cite-(.+)-(\d+)$/) || [];
    const panel = key && document.querySelector(`#citations .citations[data-key="${key}"]`);
    const item = panel && panel.querySelector(`details.citation[data-n="${n}"]`);
    if (item) { item.open = true; }
  }, true);
}"""


def status_message(language: str, key: str) -> Message:
    """A bubble that says what is happening (``answering`` or ``checking``), not an answer."""
    return {"role": "assistant", "content": f"<span class='de-status'>{html.escape(text(language, key))}</span>"}


@dataclass
class DraftBubble:
    """The bubble of an answer being written: answering… until the first token, then the checked
    sentences so far and checking… until the Final reply replaces it."""

    language: str
    checked: list[str] = field(default_factory=list)
    writing: bool = False

    def message(self) -> Message:
        if not self.writing and not self.checked:
            return status_message(self.language, "answering")
        status = status_message(self.language, "checking")["content"]
        said = html.escape("".join(self.checked))
        return {"role": "assistant", "content": f"{said}\n\n{status}" if said else status}


def answer_message(reply: Reply, key: str) -> Message:
    """The final reply: its [n] markers link to the cited passages, listed (collapsed) under it."""
    return {"role": "assistant", "content": linked_answer(reply, key)}


def linked_answer(reply: Reply, key: str) -> str:
    if not reply.citations:
        return reply.text
    known = {c.n for c in reply.citations}

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        return f"<a class='cite-ref' href='#cite-{key}-{n}'>[{n}]</a>"

    sources = "".join(
        f"<details class='citation' id='cite-{key}-{c.n}'><summary>[{c.n}] {html.escape(c.label())}</summary>"
        f"<blockquote class='passage'>{html.escape(c.quote)}…</blockquote></details>" for c in reply.citations)
    return f"{_MARKER.sub(link, reply.text)}\n\n<div class='citations'>{sources}</div>"


def staff_message(reply_text: str, language: str) -> Message:
    """A colleague's reply from the hand-off queue: its own bubble, signed by the role ("人工客服" /
    "Agent"), never by the colleague's login name."""
    sign = html.escape(text(language, "staff"))
    return {"role": "assistant", "content": f"<div class='staff-reply'><span class='staff-sign'>{sign}</span>"
                                            f"<br>{html.escape(reply_text)}</div>"}
