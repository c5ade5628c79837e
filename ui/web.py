"""The look shared by every page (system fonts only: pages must render with the network closed) and the
HTML of an answer's citations."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr
import yaml

from agent import Reply
from agent.reply import Citation

THEME = gr.themes.Soft(font=["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"])
CSS = """
.citations { font-size: 0.92em; }
.citations details { margin: 0.3em 0; border-left: 3px solid #8aa4d6; padding-left: 0.5em; }
.citations summary { cursor: pointer; font-weight: 600; }
.citations blockquote { margin: 0.3em 0 0.3em 0.5em; color: #333; white-space: pre-wrap; }
#avatar:empty { display: none; }
"""


@cache
def strings() -> dict[str, dict[str, Any]]:
    """UI strings per language (``ui/strings.yaml``): data, so translators need not touch code."""
    loaded: dict[str, dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "strings.yaml").read_text("utf-8"))
    return loaded


def text(language: str, key: str) -> Any:
    return strings().get(language, strings()["zh"])[key]


def citations_html(citations: tuple[Citation, ...] | list[Citation], refused: bool, language: str) -> str:
    """Each citation is a collapsed item; opening it shows the cited passage."""
    if refused:
        return f"<div class='citations'><em>{html.escape(text(language, 'no_citation'))}</em></div>"
    items = "".join(
        f"<details class='citation' data-n='{c.n}'><summary>[{c.n}] {html.escape(c.label())}</summary>"
        f"<blockquote class='passage'>{html.escape(c.quote)}…</blockquote></details>"
        for c in citations
    )
    return f"<div class='citations'>{items}</div>"


def render_answer(reply: Reply) -> str:
    if not reply.citations:
        return reply.text
    sources = "\n".join(f"[{c.n}] {c.label()}" for c in reply.citations)
    return f"{reply.text}\n\n{sources}"
