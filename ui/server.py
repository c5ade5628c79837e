"""The web server: FastAPI with the Gradio chat mounted at ``/`` and a small JSON API beside it."""

from __future__ import annotations

import logging
import sys

import gradio as gr
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from agent import Answerer
from agent.employee import build_answerer
from settings import Settings
from ui.web import CSS, THEME, build_chat

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)


def create_app(settings: Settings, answerer: Answerer) -> FastAPI:
    api = FastAPI(title="Digital employee", version="0.1.0")

    @api.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "llm": answerer.llm.backend}

    @api.post("/api/ask")
    def ask(request: AskRequest) -> dict[str, object]:
        question = request.question.strip()
        if not question:
            raise HTTPException(422, "the question is empty")
        return answerer.run(question).to_dict()

    return gr.mount_gradio_app(api, build_chat(settings, answerer), path="/", theme=THEME, css=CSS,
                               footer_links=[], ssr_mode=False)


def run_server(settings: Settings) -> None:
    print("Preparing the knowledge base and the language model…", file=sys.stderr)
    answerer = build_answerer(settings)
    answerer.llm.client()  # start the embedded model server now, not on the first customer's question
    print(f"Digital employee ready on http://{settings.host}:{settings.port}/", file=sys.stderr)
    uvicorn.run(create_app(settings, answerer), host=settings.host, port=settings.port, log_level="warning")
