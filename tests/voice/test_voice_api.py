"""The voice endpoints on a small FastAPI app, through a real HTTP client (TestClient)."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from settings import Settings
from ui.voice_api import voice_router
from voice.audio import read_wav


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    app = FastAPI()
    app.include_router(voice_router(settings.model_copy(update={"voice_max_mb": 2.0, "voice_max_seconds": 20})))
    return TestClient(app)


@pytest.mark.slow
def test_transcribes_an_uploaded_recording(client: TestClient, speech_dir: Path) -> None:
    files = {"audio": ("jfk.flac", (speech_dir / "jfk.flac").read_bytes(), "audio/flac")}
    response = client.post("/api/transcribe", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "en" and "ask not what your country" in body["text"]
    assert body["timings"]["total_ms"] > 0


def test_refuses_an_upload_over_the_size_limit_with_413(client: TestClient) -> None:
    response = client.post("/api/transcribe", files={"audio": ("big.webm", b"\0" * 2_200_000, "audio/webm")})
    assert response.status_code == 413
    assert "MB limit" in response.json()["detail"]


def test_refuses_an_empty_upload_with_422(client: TestClient) -> None:
    response = client.post("/api/transcribe", files={"audio": ("empty.webm", b"", "audio/webm")})
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]


def test_refuses_a_corrupt_upload_with_422_naming_the_formats(client: TestClient) -> None:
    response = client.post("/api/transcribe", files={"audio": ("x.webm", b"not audio" * 100, "audio/webm")})
    assert response.status_code == 422
    assert "could not be decoded" in response.json()["detail"]


def test_refuses_a_recording_longer_than_allowed_with_413(client: TestClient) -> None:
    from voice.audio import wav_bytes

    t = np.arange(16_000 * 25) / 16_000
    data = wav_bytes((0.05 * np.sin(2 * math.pi * 200 * t)).astype(np.float32), 16_000)
    response = client.post("/api/transcribe", files={"audio": ("long.wav", data, "audio/wav")})
    assert response.status_code == 413
    assert "longer than 20 s" in response.json()["detail"]


@pytest.mark.slow
def test_speak_returns_wav_and_a_mouth_curve_of_matching_length(client: TestClient) -> None:
    response = client.post("/api/speak", json={"text": "The rate is 3.5% [1].", "language": "en"})
    assert response.status_code == 200, response.text
    body = response.json()
    samples, rate = read_wav(base64.b64decode(body["audio_base64"]))
    assert rate == body["sample_rate"]
    assert body["duration_s"] == pytest.approx(len(samples) / rate, abs=0.01)
    assert len(body["mouth"]) == math.ceil(body["duration_s"] * body["fps"])
    assert body["spoken_text"] == "The rate is three point five percent."


@pytest.mark.slow
def test_speak_streams_one_json_line_per_sentence(client: TestClient) -> None:
    text = "The waiting period is 90 days. The cooling-off period is 15 days."
    with client.stream("POST", "/api/speak", json={"text": text, "language": "en", "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert [line["index"] for line in lines] == [0, 1]
    assert lines[0]["text"] == "The waiting period is 90 days."
    assert all(line["audio_base64"] and line["mouth"] for line in lines)


def test_speak_refuses_text_with_nothing_to_say(client: TestClient) -> None:
    response = client.post("/api/speak", json={"text": "[1] ", "language": "zh"})
    assert response.status_code == 422
    assert "nothing to say" in response.json()["detail"]


def test_speak_refuses_an_unknown_language(client: TestClient) -> None:
    assert client.post("/api/speak", json={"text": "bonjour", "language": "fr"}).status_code == 422


def test_warming_loads_whisper_and_both_voices_before_the_first_request(settings: Settings) -> None:
    from ui.voice_api import VoiceEngines

    engines = VoiceEngines(settings)
    assert engines.warm() > 0
    assert engines.transcriber()._model is not None
    assert set(engines.synthesizer()._engines) == {"kokoro", "piper"}


def test_a_voice_that_cannot_load_is_reported_at_warm_up_not_fatal(settings: Settings, caplog) -> None:  # type: ignore[no-untyped-def]
    from ui.voice_api import VoiceEngines

    broken = settings.model_copy(update={"voice_tts_zh": "espeak-ng", "voice_espeak_binary": "/nonexistent/espeak"})
    with caplog.at_level("WARNING"):
        VoiceEngines(broken).warm()
    assert "the zh voice is unavailable" in caplog.text and "apt-get install espeak-ng" in caplog.text
