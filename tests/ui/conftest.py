"""Fixtures for the web tests: accounts with each role on the real server, HTTP helpers, a second server
with tight limits (rate, file size)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from settings import Settings

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "data" / "test-artifacts" / "screenshots"


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def _make_accounts(settings: Settings) -> dict[str, Account]:
    from ui.users import UserStore, users_url

    store = UserStore(users_url(settings))
    accounts = {}
    for name, role in (("ada", "admin"), ("sam", "staff"), ("quinn", "qa"), ("carol", "customer"),
                       ("dave", "customer")):
        password = f"{name}-secret-pw"
        if store.user(name) is None:
            store.add_user(name, role, password)
        accounts[name] = Account(name, role, password, store.new_key(name))
    store.close()
    return accounts


@pytest.fixture(scope="session")
def accounts(settings: Settings) -> dict[str, Account]:
    """ada (admin), sam (staff), quinn (qa), carol and dave (customers), in the shared server's user store."""
    return _make_accounts(settings)


@pytest.fixture()
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=600) as c:
        yield c


def read_sse(response: httpx.Response) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a server-sent-events response, in order."""
    events, name, data = [], "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            events.append((name, json.loads("\n".join(data))))
            name, data = "message", []
    return events


@dataclass(frozen=True)
class LimitedServer:
    url: str
    settings: Settings
    accounts: dict[str, Account]


@pytest.fixture(scope="module")
def limited_server(settings: Settings, demo_answerer, tmp_path_factory) -> Iterator[LimitedServer]:  # type: ignore[no-untyped-def]
    """A second real server over the same answerer: 3 requests a minute, files up to 1 MB."""
    tight = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("limited"),
                                        "rate_limit_per_minute": 3, "max_file_mb": 1})
    from tests.serving import serving
    from ui.server import create_app

    with serving(create_app(tight, demo_answerer)) as url:
        yield LimitedServer(url, tight, _make_accounts(tight))
