"""Shared fixtures: real models, a real demo knowledge base, built once per test session."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def server_url(settings: Settings, demo_answerer) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The real web server (FastAPI + Gradio) on a free localhost port, serving the demo answerer."""
    from tests.serving import serving
    from ui.server import create_app

    with serving(create_app(settings, demo_answerer)) as url:
        yield url
