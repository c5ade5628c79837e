"""The web server: FastAPI with the HTTP API routers and one Gradio page per audience, each at its own
path behind a role check (``/`` customers, ``/knowledge`` admins, ``/handoff`` staff, ``/evals`` QA,
``/trainer`` staff and admins)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gradio as gr
import uvicorn
from fastapi import Depends, FastAPI

from agent import Answerer
from agent.employee import build_answerer
from settings import Settings
from ui.api import ask, documents, evals, login, openai_compat, sessions, tickets
from ui.api.docs import mount_docs
from ui.auth import ANY_ROLE, require
from ui.avatar import mount_avatar_assets
from ui.context import AppContext
from ui.pages.customer import build_customer_page
from ui.pages.evals import build_evals_page
from ui.pages.handoff import build_handoff_page
from ui.pages.knowledge import build_knowledge_page
from ui.pages.trainer import trainer_page_for_context
from ui.users import Role
from ui.voice_api import VoiceEngines, voice_router
from ui.web import CSS, THEME

log = logging.getLogger(__name__)

TRAINER_PATH = "/trainer"
TRAINER_ROLES = frozenset({Role.STAFF, Role.ADMIN})


@dataclass(frozen=True)
class Page:
    path: str
    roles: frozenset[Role]
    build: Callable[[AppContext], gr.Blocks]


def builtin_pages() -> list[Page]:
    return [Page("/knowledge", frozenset({Role.ADMIN}), build_knowledge_page),
            Page("/handoff", frozenset({Role.STAFF, Role.ADMIN}), build_handoff_page),
            Page("/evals", frozenset({Role.QA, Role.ADMIN}), build_evals_page),
            Page(TRAINER_PATH, TRAINER_ROLES, trainer_page_for_context)]


def create_app(settings: Settings, answerer: Answerer, extra_pages: Sequence[Page] = (),
               voice: VoiceEngines | None = None) -> FastAPI:
    ctx = AppContext.build(settings, answerer)
    app = FastAPI(title="Digital employee", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.ctx = ctx
    mount_docs(app)
    app.middleware("http")(ctx.gatekeeper.middleware)
    for area in (login, ask, sessions, documents, tickets, evals, openai_compat):
        app.include_router(area.build_router(ctx))
    # Speech in and out for the avatar: any caller the gatekeeper let in (guests included), rate-limited.
    app.include_router(voice_router(settings, voice), dependencies=[Depends(require(*ANY_ROLE))])
    mount_avatar_assets(app)

    ctx.gatekeeper.guard("/api" + TRAINER_PATH, TRAINER_ROLES)
    for page in [*builtin_pages(), *extra_pages]:
        ctx.gatekeeper.guard(page.path, page.roles)
        _mount(app, ctx, page.build(ctx), page.path)
    return _mount(app, ctx, build_customer_page(ctx), "/")  # last: "/" would shadow the other paths


def _mount(app: FastAPI, ctx: AppContext, blocks: gr.Blocks, path: str) -> FastAPI:
    return gr.mount_gradio_app(app, blocks, path=path, theme=THEME, css=CSS, footer_links=[], ssr_mode=False,
                               auth_dependency=ctx.gatekeeper.gradio_dependency,
                               max_file_size=f"{ctx.settings.max_file_mb}mb")


def run_server(settings: Settings) -> None:
    print("Preparing the knowledge base and the language model…", file=sys.stderr)
    answerer = build_answerer(settings)
    # Load the model and prefill the fixed prompt prefix now, not on the first customer's question.
    print(f"Models warm in {answerer.warm():.1f} s", file=sys.stderr)
    voice = VoiceEngines(settings)
    print(f"Voices warm in {voice.warm():.1f} s", file=sys.stderr)
    print(f"Digital employee ready on http://{settings.host}:{settings.port}/", file=sys.stderr)
    uvicorn.run(create_app(settings, answerer, voice=voice), host=settings.host, port=settings.port,
                log_level="warning")
