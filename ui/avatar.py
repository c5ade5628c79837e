"""The avatar for the customer page: its HTML snippet, the tags that load its script, and its files.

The look (name, greeting, colours) comes from settings, so each institution dresses its own employee.
The script and style are served from this package (``ui/static/avatar``), never from a CDN. To embed:

    mount_avatar_assets(api)                      # FastAPI app: serves /static/avatar/*
    avatar_component(settings)                    # inside gr.Blocks: the avatar (elem_id "avatar")
    # or, without Gradio: avatar_head() in <head> and avatar_html(settings) in the page
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from settings import Settings

STATIC_DIR = Path(__file__).parent / "static" / "avatar"
URL_PREFIX = "/static/avatar"


def avatar_html(settings: Settings, speak_url: str = "/api/speak", transcribe_url: str = "/api/transcribe") -> str:
    """The element avatar.js turns into the avatar (configuration travels in data attributes)."""
    attributes = {
        "data-de-avatar": "",
        "data-name": settings.avatar_name or settings.assistant_name,
        "data-greeting": settings.avatar_greeting,
        "data-primary": settings.avatar_primary_colour,
        "data-accent": settings.avatar_accent_colour,
        "data-speak-url": speak_url,
        "data-transcribe-url": transcribe_url,
        "data-end-of-turn-ms": str(settings.voice_end_of_turn_ms),
    }
    rendered = " ".join(f'{key}="{html.escape(value, quote=True)}"' for key, value in attributes.items())
    return f"<div class=\"de-avatar\" {rendered}></div>"


def avatar_head(prefix: str = URL_PREFIX) -> str:
    """``<link>`` and ``<script>`` tags for the page head (Gradio ``head=``); files from this server only."""
    return (f'<link rel="stylesheet" href="{prefix}/avatar.css">\n'
            f'<script src="{prefix}/avatar.js" defer></script>')


def mount_avatar_assets(app: Any, prefix: str = URL_PREFIX) -> None:
    """Serve avatar.js and avatar.css from ``prefix`` on a FastAPI/Starlette app."""
    from fastapi.staticfiles import StaticFiles

    app.mount(prefix, StaticFiles(directory=STATIC_DIR), name="avatar-assets")


def avatar_component(settings: Settings, elem_id: str = "avatar") -> Any:
    """A ``gr.HTML`` holding the avatar; call inside ``gr.Blocks``. Needs ``mount_avatar_assets`` on the app."""
    import gradio as gr

    return gr.HTML(
        value=avatar_html(settings),
        head=avatar_head(),
        js_on_load="if (window.Avatar) { window.Avatar.mount(element.querySelector('[data-de-avatar]')); }",
        elem_id=elem_id,
        container=False,
    )
