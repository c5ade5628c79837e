"""Who is calling, and may they: API keys, login and guest cookies, role checks, rate limits.

One middleware identifies every request (``request.state.identity``), guards the staff pages by path,
mints a signed guest cookie for anonymous customers (unless ``require_login``) and applies the rate
limit; API routes then declare the roles they accept with :func:`require`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from settings import Settings
from ui.ratelimit import RateLimiter
from ui.users import Role, UserStore

log = logging.getLogger(__name__)

LOGIN_COOKIE = "de_login"
GUEST_COOKIE = "de_guest"
# Paths anyone may open: the login form, health, API docs.
PUBLIC_PREFIXES = ("/login", "/logout", "/api/health", "/docs", "/openapi.json")
# Requests that cost work (questions, uploads, page events) and so count against the rate limit.
LIMITED_PREFIXES = ("/api/", "/v1/")
LIMITED_MARKERS = ("/gradio_api/queue/join", "/gradio_api/run/", "/gradio_api/call/", "/gradio_api/upload")


@dataclass(frozen=True)
class Identity:
    name: str  # a user name, or a random id for a guest
    role: Role
    guest: bool = False

    @property
    def owner(self) -> str:
        """The string that owns chat sessions (and that Gradio sees as the user name)."""
        return f"guest:{self.name}" if self.guest else f"user:{self.name}"


def parse_owner(owner: str | None) -> Identity | None:
    """The identity behind an owner string, as Gradio hands it to page events (``request.username``)."""
    if not owner or ":" not in owner:
        return None
    kind, rest = owner.split(":", 1)
    if kind == "guest":
        return Identity(rest, Role.CUSTOMER, guest=True)
    name, _, role = rest.partition("|")
    return Identity(name, Role.from_str(role or "customer"))


def gradio_user(identity: Identity) -> str:
    """What a Gradio page event gets as ``request.username``: the owner plus the role."""
    return identity.owner if identity.guest else f"{identity.owner}|{identity.role.value}"


class CookieSigner:
    """HMAC-SHA256 signed, expiring JSON cookies (the payload is readable, not secret)."""

    def __init__(self, secret: bytes, max_age_s: int) -> None:
        self.secret = secret
        self.max_age_s = max_age_s

    def sign(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps({**payload, "iat": int(time.time())}).encode()).decode()
        mac = hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def read(self, token: str | None) -> dict[str, Any] | None:
        if not token or "." not in token:
            return None
        body, mac = token.rsplit(".", 1)
        if not hmac.compare_digest(mac, hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body.encode()))
        except (ValueError, json.JSONDecodeError):
            return None
        if not isinstance(payload, dict) or time.time() - payload.get("iat", 0) > self.max_age_s:
            return None
        return payload


def load_secret(data_dir: Path) -> bytes:
    """The cookie-signing secret: created once under the data folder, readable by its owner only."""
    path = Path(data_dir) / "web-secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


class InvalidKey(Exception):
    pass


@dataclass(frozen=True)
class GuardedPath:
    prefix: str
    roles: frozenset[Role]


class Gatekeeper:
    def __init__(self, settings: Settings, users: UserStore, limiter: RateLimiter) -> None:
        self.settings = settings
        self.users = users
        self.limiter = limiter
        self.signer = CookieSigner(load_secret(settings.data_dir), settings.cookie_max_age_hours * 3600)
        self.guarded: list[GuardedPath] = []

    def guard(self, prefix: str, roles: frozenset[Role]) -> None:
        """Only these roles may open anything under ``prefix`` (a page and its Gradio API)."""
        self.guarded.append(GuardedPath(prefix.rstrip("/"), roles))

    def identify(self, request: Request) -> Identity | None:
        """The caller by API key, then login cookie, then guest cookie; InvalidKey for a wrong key."""
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key")
        if key:
            user = self.users.user_for_key(key)
            if user is None:
                raise InvalidKey()
            return Identity(user.name, user.role)
        login = self.signer.read(request.cookies.get(LOGIN_COOKIE))
        if login is not None:
            user = self.users.user(str(login.get("sub")))
            if user is not None:  # a deleted user's cookie is worth nothing
                return Identity(user.name, user.role)
        guest = self.signer.read(request.cookies.get(GUEST_COOKIE))
        if guest is not None and not self.settings.require_login:
            return Identity(str(guest.get("sub")), Role.CUSTOMER, guest=True)
        return None

    def login_cookie(self, name: str) -> str:
        return self.signer.sign({"sub": name})

    def _guard_for(self, path: str) -> GuardedPath | None:
        for g in self.guarded:
            if path == g.prefix or path.startswith(g.prefix + "/"):
                return g
        return None

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if any(path == p or path.startswith(p + "/") or path.startswith(p + "-") for p in PUBLIC_PREFIXES):
            return await call_next(request)
        try:
            identity = self.identify(request)
        except InvalidKey:
            return JSONResponse({"detail": "invalid API key: create one with `digital-employee users key NAME`"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        guard = self._guard_for(path)
        is_api = path.startswith(("/api/", "/v1/"))
        minted = None
        if identity is None and guard is None and not self.settings.require_login:
            identity = Identity(secrets.token_hex(12), Role.CUSTOMER, guest=True)
            minted = self.signer.sign({"sub": identity.name})
        if guard is not None or (self.settings.require_login and not is_api):
            if identity is None or (identity.guest and (guard is None or Role.CUSTOMER not in guard.roles)):
                return _login_needed(request)
            if guard is not None and identity.role not in guard.roles:
                return _forbidden(identity, guard.roles)
        if path.startswith(LIMITED_PREFIXES) or any(m in path for m in LIMITED_MARKERS):
            caller = identity.owner if identity else f"ip:{request.client.host if request.client else '?'}"
            wait = self.limiter.take(caller)
            if wait > 0:
                return JSONResponse(
                    {"detail": f"too many requests: the limit is {self.settings.rate_limit_per_minute} a minute "
                               f"(DE_RATE_LIMIT_PER_MINUTE); retry in {wait:.0f} s"},
                    status_code=429, headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        request.state.identity = identity
        response = await call_next(request)
        if minted:
            response.set_cookie(GUEST_COOKIE, minted, max_age=self.signer.max_age_s, httponly=True, samesite="lax")
        return response

    def gradio_dependency(self, request: Request) -> str | None:
        """``auth_dependency`` for mounted Gradio pages: their events see the caller as ``request.username``."""
        identity = getattr(request.state, "identity", None)
        if identity is None:
            try:
                identity = self.identify(request)
            except InvalidKey:
                return None
        return gradio_user(identity) if identity else None


def _login_needed(request: Request) -> Response:
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return JSONResponse({"detail": "not logged in: log in at /login or send an API key"}, status_code=401)


def _forbidden(identity: Identity, roles: frozenset[Role]) -> Response:
    allowed = ", ".join(sorted(r.value for r in roles))
    return JSONResponse({"detail": f"forbidden: this page is for {allowed}; you are logged in as "
                                   f"{identity.name} ({identity.role.value})"}, status_code=403)


def require(*roles: Role) -> Callable[[Request], Identity]:
    """A FastAPI dependency: the caller's identity, or 401 (nobody) / 403 (wrong role)."""
    allowed = frozenset(roles)

    def dependency(request: Request) -> Identity:
        identity: Identity | None = getattr(request.state, "identity", None)
        if identity is None or (identity.guest and Role.CUSTOMER not in allowed):
            raise HTTPException(401, "not logged in: send an API key (Authorization: Bearer KEY) or log in at /login",
                                headers={"WWW-Authenticate": "Bearer"})
        if identity.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(403, f"forbidden: this needs the role {names}; you are {identity.role.value}")
        return identity

    return dependency


ANY_ROLE = tuple(Role)
