"""Shared fixtures: real models, a real demo knowledge base, built once per test session."""

from __future__ import annotations

import os
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
