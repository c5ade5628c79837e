"""The SQLAlchemy plumbing the agent's stores share (audit log, trainer): a SQLite file by default, any
URL (PostgreSQL for several instances); tables created on first use; short transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

# Milliseconds a SQLite writer waits for another writer's transaction before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    def __init__(self, url: str, metadata: MetaData) -> None:
        parsed = make_url(url)
        self.url = url
        self.metadata = metadata
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                # One shared connection, or every thread would see its own empty in-memory database.
                kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
            else:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(parsed, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            _configure_sqlite(self.engine)
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction; committed when the block ends, rolled back if it raises."""
        if not self._schema_ready:
            with self._schema_lock:
                if not self._schema_ready:
                    self.metadata.create_all(self.engine)
                    self._schema_ready = True
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield s


def _configure_sqlite(engine: Engine) -> None:
    """WAL, enforced foreign keys, and BEGIN IMMEDIATE so concurrent writers queue instead of failing."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
