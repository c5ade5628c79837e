"""The login form for the web pages (staff, admins, QA, and customers with accounts) and logout."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from ui.auth import GUEST_COOKIE, LOGIN_COOKIE
from ui.context import AppContext
from ui.users import Role

# Where each role lands after logging in when no page was asked for.
HOME = {Role.CUSTOMER: "/", Role.STAFF: "/handoff", Role.ADMIN: "/knowledge", Role.QA: "/evals"}

_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Log in · {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f7fb;display:flex;
justify-content:center;padding-top:10vh}}form{{background:#fff;padding:2em;border-radius:12px;
box-shadow:0 2px 12px #0001;min-width:18em}}label{{display:block;margin:.8em 0 .2em}}input{{width:100%;
padding:.5em;box-sizing:border-box}}button{{margin-top:1.2em;width:100%;padding:.6em}}.err{{color:#b00020}}</style>
</head><body><form method="post" action="/login"><h2>{title}</h2><p>登录 / Log in</p>{error}
<input type="hidden" name="next" value="{next}">
<label for="name">用户名 / User name</label><input id="name" name="name" autocomplete="username" required>
<label for="password">密码 / Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="login">登录 / Log in</button></form></body></html>"""


def _safe_next(target: str | None) -> str | None:
    """Only local paths: a login link must not bounce the user to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    title = html.escape(f"{ctx.settings.assistant_name} · {ctx.settings.institution}")

    @router.get("/login")
    def form(next: str = "/", error: str | None = None) -> HTMLResponse:
        message = f"<p class='err'>{html.escape(error)}</p>" if error else ""
        return HTMLResponse(_PAGE.format(title=title, error=message, next=html.escape(_safe_next(next) or "/")))

    @router.post("/login", response_model=None)
    def login(name: Annotated[str, Form()], password: Annotated[str, Form()],
              next: Annotated[str, Form()] = "/") -> HTMLResponse | RedirectResponse:
        user = ctx.users.check_password(name.strip(), password)
        if user is None:
            page = _PAGE.format(title=title, next=html.escape(_safe_next(next) or "/"),
                                error="<p class='err'>用户名或密码不对 / Wrong user name or password</p>")
            return HTMLResponse(page, status_code=401)
        target = _safe_next(next)
        response = RedirectResponse(target if target and target != "/" else HOME[user.role], status_code=303)
        response.set_cookie(LOGIN_COOKIE, ctx.gatekeeper.login_cookie(user.name),
                            max_age=ctx.gatekeeper.signer.max_age_s, httponly=True, samesite="lax")
        response.delete_cookie(GUEST_COOKIE)
        return response

    @router.get("/logout")
    def logout() -> RedirectResponse:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    return router
