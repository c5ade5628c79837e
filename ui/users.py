"""People who use the web app, their roles, passwords and API keys, in a SQL database.

Passwords are stored as scrypt hashes (salted, memory-hard); API keys are random 256-bit tokens shown
once and stored as SHA-256 digests, so a copy of the database lets nobody log in. The same database
remembers which identity owns each customer chat session, so ownership survives a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, String, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from settings import Settings

# scrypt cost: 16 MiB and ~50 ms a check on one core; enough to make offline guessing expensive.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
KEY_PREFIX = "de_"


class Role(str, Enum):
    """What a caller may reach: each page and endpoint names the roles it admits (ui/auth.py)."""

    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"
    QA = "qa"

    @classmethod
    def from_str(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError(f"unknown role {value!r}; use one of: {', '.join(r.value for r in cls)}") from None


class UserError(ValueError):
    """A user-management request that cannot be carried out (bad name, duplicate, unknown user)."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    has_password: bool


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _Base(DeclarativeBase):
    pass


class _UserRow(_Base):
    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _KeyRow(_Base):
    __tablename__ = "api_keys"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"), index=True)
    hint: Mapped[str] = mapped_column(String(16))  # the first characters, to tell keys apart in a list
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _OwnerRow(_Base):
    __tablename__ = "session_owners"
    session_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128), index=True)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def users_url(settings: Settings) -> str:
    return settings.users_url or f"sqlite:///{Path(settings.data_dir) / 'users.sqlite'}"


class UserStore:
    """Users, API keys and session owners; each method is its own short transaction (thread-safe)."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_engine(parsed, connect_args={"check_same_thread": False}
                                     if parsed.get_backend_name() == "sqlite" else {})
        _Base.metadata.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    def add_user(self, name: str, role: Role | str, password: str | None = None) -> User:
        if not _NAME.match(name):
            raise UserError(f"user name {name!r} is not allowed: use 1-64 letters, digits, _ . @ or -")
        role = Role.from_str(role) if isinstance(role, str) else role
        with Session(self._engine) as s, s.begin():
            if s.get(_UserRow, name) is not None:
                raise UserError(f"user {name!r} already exists; use `users key {name}` for a new key")
            s.add(_UserRow(name=name, role=role.value, password_hash=hash_password(password) if password else None))
        return User(name, role, password is not None)

    def set_password(self, name: str, password: str) -> None:
        with Session(self._engine) as s, s.begin():
            row = self._row(s, name)
            row.password_hash = hash_password(password)

    def user(self, name: str) -> User | None:
        with Session(self._engine) as s:
            row = s.get(_UserRow, name)
            return None if row is None else User(row.name, Role(row.role), row.password_hash is not None)

    def users(self) -> list[User]:
        with Session(self._engine) as s:
            return [User(r.name, Role(r.role), r.password_hash is not None)
                    for r in s.scalars(select(_UserRow).order_by(_UserRow.name))]

    def new_key(self, name: str) -> str:
        """A fresh API key for ``name``; returned once, only its digest is kept."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with Session(self._engine) as s, s.begin():
            self._row(s, name)
            s.add(_KeyRow(digest=_key_digest(key), user=name, hint=key[:8]))
        return key

    def user_for_key(self, key: str) -> User | None:
        with Session(self._engine) as s:
            row = s.get(_KeyRow, _key_digest(key))
            if row is None:
                return None
            user = s.get(_UserRow, row.user)
            return None if user is None else User(user.name, Role(user.role), user.password_hash is not None)

    def check_password(self, name: str, password: str) -> User | None:
        with Session(self._engine) as s:
            row = s.get(_UserRow, name)
            if row is None or row.password_hash is None or not verify_password(password, row.password_hash):
                return None
            return User(row.name, Role(row.role), True)

    def set_owner(self, session_id: str, owner: str) -> None:
        with Session(self._engine) as s, s.begin():
            s.add(_OwnerRow(session_id=session_id, owner=owner))

    def owner(self, session_id: str) -> str | None:
        with Session(self._engine) as s:
            row = s.get(_OwnerRow, session_id)
            return None if row is None else row.owner

    @staticmethod
    def _row(s: Session, name: str) -> _UserRow:
        row = s.get(_UserRow, name)
        if row is None:
            raise UserError(f"no user {name!r}; add one with `digital-employee users add {name} --role ROLE`")
        return row
