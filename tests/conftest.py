"""Shared fixtures: real models, a real demo knowledge base, built once per test session."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from settings import Settings, offline_environment

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"

offline_environment()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for tests: data in a temporary folder, models from the shared cache `make` prepared."""
    data = tmp_path_factory.mktemp("data")
    models = Path(os.environ.get("DE_MODELS_DIR", REPO / "data" / "models"))
    return Settings(data_dir=data, models_dir=models, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def demo_answerer(settings: Settings):  # type: ignore[no-untyped-def]
    """The real answerer over the demo knowledge base and the packaged LLM (started once)."""
    from agent.employee import build_answerer

    return build_answerer(settings)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server_url(settings: Settings, demo_answerer) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The real web server (FastAPI + Gradio) on a free localhost port, serving the demo answerer."""
    import uvicorn

    from ui.server import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, demo_answerer), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
