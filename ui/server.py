"""The web server: FastAPI with the HTTP API routers and one Gradio page per audience, each at its own
path behind a role check (``/`` customers, ``/knowledge`` admins, ``/handoff`` staff, ``/evals`` QA,
``/trainer`` staff and admins). A page's path without its trailing slash redirects to it, so typed
addresses and the login redirect land on the page."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gradio as gr
import uvicorn
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from agent import Answerer
from agent.employee import build_answerer
from settings import Settings
from ui.api import ask, documents, evals, login, openai_compat, sessions, tickets
from ui.api.docs import mount_docs
from ui.auth import ANY_ROLE, require
from ui.avatar import mount_avatar_assets
from ui.chat_view import CITATION_LINKS_JS
from ui.context import AppContext
from ui.pages.customer import build_customer_page
from ui.pages.evals import build_evals_page
from ui.pages.handoff import build_handoff_page
from ui.pages.knowledge import build_knowledge_page
from ui.pages.trainer import trainer_page_for_context
from ui.users import Role
from ui.voice_api import VoiceEngines, voice_router
from ui.web import CSS, GRADIO_WORDS, STAFF_PAGES, THEME, browser_language, locale_script

log = logging.getLogger(__name__)

TRAINER_PATH = "/trainer"
TRAINER_ROLES = STAFF_PAGES[TRAINER_PATH]


@dataclass(frozen=True)
class Page:
    path: str
    roles: frozenset[Role]
    build: Callable[[AppContext], gr.Blocks]


def builtin_pages() -> list[Page]:
    return [Page("/knowledge", STAFF_PAGES["/knowledge"], build_knowledge_page),
            Page("/handoff", STAFF_PAGES["/handoff"], build_handoff_page),
            Page("/evals", STAFF_PAGES["/evals"], build_evals_page),
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
    pages = [*builtin_pages(), *extra_pages]
    for page in pages:
        ctx.gatekeeper.guard(page.path, page.roles)
        _redirect_to_slash(app, page.path.rstrip("/"))
        _mount(app, ctx, page.build(ctx), page.path)
    _set_page_locale(app, {"/", *(page.path.rstrip("/") + "/" for page in pages)})
    # last: "/" would shadow the other paths
    return _mount(app, ctx, build_customer_page(ctx), "/", js=CITATION_LINKS_JS)


def _redirect_to_slash(app: FastAPI, path: str) -> None:
    """``/knowledge`` -> ``/knowledge/``: a Gradio page lives under its slash; without this route the
    customer page mounted at ``/`` answers the bare path with 404."""

    def to_page(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{path}/{query}", status_code=307)

    app.add_api_route(path, to_page, methods=["GET", "HEAD"], include_in_schema=False)


def _set_page_locale(app: FastAPI, roots: set[str]) -> None:
    """Put the locale script (ui.web) first in each page's <head>: Gradio reads the browser's language as its script
    starts, before anything it injects itself, and would label a Chinese page in English."""

    @app.middleware("http")
    async def page_locale(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if (request.method != "GET" or request.url.path not in roots or response.status_code != 200
                or not response.headers.get("content-type", "").startswith("text/html")):
            return response
        body = b"".join([piece async for piece in response.body_iterator])  # type: ignore[attr-defined]
        fallback = "zh" if request.url.path == "/" else browser_language(request.headers.get("accept-language"))
        body = body.replace(b"<head>", b"<head>" + locale_script(fallback).encode(), 1)
        page = Response(body, status_code=200)
        page.raw_headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"content-length"]
        page.raw_headers.append((b"content-length", str(len(body)).encode()))
        return page


def _mount(app: FastAPI, ctx: AppContext, blocks: gr.Blocks, path: str, js: str | None = None) -> FastAPI:
    return gr.mount_gradio_app(app, blocks, path=path, theme=THEME, css=CSS, js=js, i18n=GRADIO_WORDS,
                               footer_links=[], ssr_mode=False,
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
    # log_config=None: uvicorn's records go through the root handlers, whose filter masks personal data.
    uvicorn.run(create_app(settings, answerer, voice=voice), host=settings.host, port=settings.port,
                log_level="warning", log_config=None)
