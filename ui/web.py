"""The customer chat page (Gradio): streams the digital employee's answer and shows its citations."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from agent import Answerer, Delta, Final, Reply
from settings import Settings

# System fonts only: the page must render with the network closed (no web fonts, no CDN).
THEME = gr.themes.Soft(font=["system-ui", "PingFang SC", "Microsoft YaHei", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"])
CSS = """
.citations { font-size: 0.92em; }
.citations details { margin: 0.3em 0; }
.citations summary { cursor: pointer; font-weight: 600; }
.citations blockquote { margin: 0.3em 0 0.3em 1em; color: #444; }
"""

EXAMPLES = [
    "三年期定期存款利率是多少？",
    "犹豫期内退保能全额退还保费吗？",
    "What is the waiting period of the medical insurance?",
    "信用卡丢了怎么办？",
]


def citations_html(reply: Reply) -> str:
    if reply.refused:
        return "<div class='citations'><em>No citation: the documents do not support an answer.</em></div>"
    items = "".join(
        f"<details><summary>[{c.n}] {html.escape(c.label())}</summary>"
        f"<blockquote>{html.escape(c.quote)}…</blockquote></details>"
        for c in reply.citations
    )
    return f"<div class='citations'>{items}</div>"


def render_answer(reply: Reply) -> str:
    if not reply.citations:
        return reply.text
    sources = "\n".join(f"[{c.n}] {c.label()}" for c in reply.citations)
    return f"{reply.text}\n\n{sources}"


def build_chat(settings: Settings, answerer: Answerer) -> gr.Blocks:
    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
        message = (message or "").strip()
        if not message:
            yield history, "", ""
            return
        history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        yield history, "", "<div class='citations'><em>Searching the documents…</em></div>"
        streamed = ""
        for event in answerer.stream(message):
            if isinstance(event, Delta):
                streamed += event.text
                history[-1] = {"role": "assistant", "content": streamed}
                yield history, "", ""
            elif isinstance(event, Final):
                history[-1] = {"role": "assistant", "content": render_answer(event.reply)}
                yield history, "", citations_html(event.reply)

    with gr.Blocks(title=f"{settings.assistant_name} · {settings.institution}") as demo:
        gr.Markdown(f"## {settings.assistant_name} · {settings.institution}\n"
                    "Ask about our deposits, cards and insurance. Every answer cites the clause it rests on.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=460, elem_id="chat", feedback_options=None)
                box = gr.Textbox(placeholder="输入您的问题 / Type your question", show_label=False,
                                 elem_id="question", submit_btn=True)
                gr.Examples(EXAMPLES, inputs=box)
            with gr.Column(scale=2):
                gr.Markdown("### Citations")
                cites = gr.HTML(elem_id="citations")
        box.submit(respond, [box, chat], [chat, box, cites])
    return demo
