"""The look shared by every page (system fonts only: pages must render with the network closed), the UI
strings per language, the staff pages' navigation bar and the HTML of an answer's citations."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr
import yaml

from agent.reply import Citation
from ui.auth import parse_owner
from ui.users import Role

THEME = gr.themes.Soft(font=["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"])
CSS = """
.citations { font-size: 0.92em; }
.citations details { margin: 0.3em 0; border-left: 3px solid #8aa4d6; padding-left: 0.5em; }
.citations summary { cursor: pointer; font-weight: 600; }
.citations blockquote { margin: 0.3em 0 0.3em 0.5em; color: #333; white-space: pre-wrap; }
#avatar:empty { display: none; }
/* "Clear the chat": not a customer's button, and in role-play it would not end the session. */
#chat .icon-button-wrapper.top-panel, #roleplay-chat .icon-button-wrapper.top-panel { display: none; }
.de-status { color: #5b6b86; font-style: italic; }
.de-status::before { content: "⏳ "; font-style: normal; }
a.cite-ref { text-decoration: none; font-weight: 600; }
.staff-reply { border-left: 3px solid #d98b2b; padding-left: 0.5em; }
.staff-reply .staff-sign { color: #a35f0f; font-weight: 600; }
#staff-nav nav { display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; align-items: center; padding: 0.4em 0.2em;
                 border-bottom: 1px solid #dde3ee; font-size: 0.95em; }
#staff-nav a { text-decoration: none; }
#staff-nav a[aria-current=page] { font-weight: 700; text-decoration: underline; }
#staff-nav .nav-end { margin-left: auto; display: flex; gap: 1em; }
/* Table headers wrap between words, never letter by letter. */
.table-wrap th, .table-wrap th * { word-break: keep-all; overflow-wrap: normal; white-space: normal; }
.table-wrap th { min-width: 6em; }
"""

# The staff pages and the roles that may open each: ui.server guards them with these, the nav bar links them.
STAFF_PAGES: dict[str, frozenset[Role]] = {
    "/handoff": frozenset({Role.STAFF, Role.ADMIN}),
    "/trainer": frozenset({Role.STAFF, Role.ADMIN}),
    "/knowledge": frozenset({Role.ADMIN}),
    "/evals": frozenset({Role.QA, Role.ADMIN}),
}
LANGUAGE_COOKIE = "de_lang"  # the page language a person chose, so the next page opens in it too

# Gradio's own words (Copy, Error, Loading…) follow navigator.language as its script starts: ui.server puts
# this first in each page's <head> so they follow the page's language: ?lang=, else the language cookie
# (set by an explicit choice only), else the page's default (FALLBACK).
_LOCALE_SCRIPT = f"""<script>(() => {{
  const asked = new URLSearchParams(location.search).get('lang');
  const kept = (document.cookie.match(/(?:^|; ){LANGUAGE_COOKIE}=(\\w+)/) || [])[1];
  const language = asked || kept || 'FALLBACK';
  const locale = language === 'en' ? 'en' : 'zh-CN';
  if (asked) {{ document.cookie = '{LANGUAGE_COOKIE}=' + asked + '; path=/; max-age=31536000; samesite=lax'; }}
  Object.defineProperty(navigator, 'language', {{get: () => locale, configurable: true}});
  Object.defineProperty(navigator, 'languages', {{get: () => [locale], configurable: true}});
}})();</script>"""
# Gradio's words its Chinese table lacks.
GRADIO_WORDS = gr.I18n(**{"zh-CN": {"chatbot.copy_message": "复制消息", "chatbot.copied_message": "已复制"}})


def locale_script(fallback: str) -> str:
    """The <head> script that sets Gradio's language; ``fallback`` when neither address nor cookie names one."""
    return _LOCALE_SCRIPT.replace("FALLBACK", fallback if fallback in strings() else "zh")


def browser_language(accept_language: str | None) -> str:
    """English for a browser that prefers it, else Chinese (the staff pages' default)."""
    return "en" if (accept_language or "").strip().lower().startswith("en") else "zh"


@cache
def strings() -> dict[str, dict[str, Any]]:
    """UI strings per language (``ui/strings.yaml``): data, so translators need not touch code."""
    loaded: dict[str, dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "strings.yaml").read_text("utf-8"))
    return loaded


def text(language: str, key: str) -> Any:
    """The string ``key`` (dotted for nested: ``"trainer.quiz"``) in ``language``, else in Chinese."""
    value: Any = strings().get(language, strings()["zh"])
    for part in key.split("."):
        value = value[part]
    return value


def request_language(request: gr.Request | None, follow_browser: bool = True) -> str:
    """The page language a request asks for: ``?lang=``, else the language cookie, else the browser's
    (``follow_browser``: staff pages) or Chinese (the customer page, for a Chinese bank's customers)."""
    if request is None:
        return "zh"
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if asked in strings():
        return str(asked)
    return browser_language(request.headers.get("accept-language")) if follow_browser else "zh"


def nav_html(current: str, role: Role | None, language: str) -> str:
    """Links to the pages ``role`` may open (the current one marked), the other language, log out."""
    links = [("/", text(language, "nav.chat"))]
    links += [(path, text(language, f"nav.{path.strip('/')}")) for path, roles in STAFF_PAGES.items()
              if role in roles]
    items = "".join(
        f"<a href='{path.rstrip('/')}/?lang={language}'{' aria-current=page' if path == current else ''}>"
        f"{html.escape(label)}</a>" for path, label in links)
    other = next(code for code in strings() if code != language)
    switch = html.escape(text(other, "language_name"))
    return (f"<nav aria-label='{html.escape(text(language, 'nav.label'))}'>{items}<span class='nav-end'>"
            f"<a href='{current.rstrip('/')}/?lang={other}' lang='{other}'>{switch}</a>"
            f"<a href='/logout'>{html.escape(text(language, 'nav.logout'))}</a></span></nav>")


def nav_bar(current: str) -> gr.HTML:
    """The navigation bar of a staff page: call it inside that page's ``gr.Blocks``; it is filled for
    each visitor, since which pages they may open depends on who is logged in."""
    bar = gr.HTML(elem_id="staff-nav", container=False)

    def fill(request: gr.Request) -> str:
        identity = parse_owner(request.username if request else None)
        return nav_html(current, identity.role if identity else None, request_language(request))

    root = gr.context.Context.root_block
    if root is None:
        raise RuntimeError("nav_bar() must be called inside a gr.Blocks")
    root.load(fill, None, bar, show_progress="hidden")
    return bar


def citations_html(citations: tuple[Citation, ...] | list[Citation], refused: bool, language: str,
                   key: str = "") -> str:
    """Each citation is a collapsed item; opening it shows the cited passage. ``key`` names the answer
    they belong to, so its [n] links open them here (ui.chat_view)."""
    if refused:
        return f"<div class='citations'><em>{html.escape(text(language, 'no_citation'))}</em></div>"
    items = "".join(
        f"<details class='citation' data-n='{c.n}'><summary>[{c.n}] {html.escape(c.label())}</summary>"
        f"<blockquote class='passage'>{html.escape(c.quote)}…</blockquote></details>"
        for c in citations
    )
    return f"<div class='citations' data-key='{html.escape(key)}'>{items}</div>"


class PageText:
    """The words of a staff page's components, from ``strings.yaml`` section ``section``: the page is built
    in Chinese and relabelled on load in the visitor's language (``?lang=``, else the language cookie)."""

    def __init__(self, section: str) -> None:
        self.section = section
        self._items: list[tuple[Any, str, str]] = []

    def __call__(self, component: Any, key: str, prop: str = "label") -> Any:
        """Register ``component`` (its ``prop``: label, value, headers) as worded by ``key``; returns it."""
        self._items.append((component, key, prop))
        return component

    def get(self, language: str, key: str) -> Any:
        return text(language, f"{self.section}.{key}")

    def relabel_on_load(self, page: gr.Blocks, language: gr.State) -> None:
        """On each page load: set ``language`` to the visitor's and every registered component's words."""
        components = [c for c, _, _ in self._items]

        def relabel(request: gr.Request) -> list[Any]:
            lang = request_language(request)
            return [lang, *(gr.update(**{prop: self.get(lang, key)}) for _, key, prop in self._items)]

        page.load(relabel, None, [language, *components], show_progress="hidden")
