"""HTTP endpoints for voice: ``POST /api/transcribe`` (audio -> text) and ``POST /api/speak`` (text -> audio).

Thin: it reads the request, calls ``voice`` and maps its errors to status codes (413 too large or too
long, 422 unusable input, 503 engine not installed). Models load once per router: at server start when
``VoiceEngines.warm`` is called (``serve`` does), else on the first request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from modelpacks import MissingModelPackage
from settings import Settings
from voice import AudioError, EngineUnavailable, NothingToSay, Synthesizer, Transcriber
from voice.speech_text import split_sentences
from voice.synthesize import MAX_CHARS

_READ_CHUNK = 1 << 16
log = logging.getLogger(__name__)


class SpeakRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_CHARS)
    language: Literal["zh", "en"] | None = None
    # True: newline-delimited JSON, one object per sentence, so playback starts after the first one.
    stream: bool = False


class VoiceEngines:
    """The transcriber and synthesizer, created on first use and shared by every request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._transcriber: Transcriber | None = None
        self._synthesizer: Synthesizer | None = None

    def transcriber(self) -> Transcriber:
        with self._lock:
            if self._transcriber is None:
                self._transcriber = Transcriber(self.settings)
            return self._transcriber

    def synthesizer(self) -> Synthesizer:
        with self._lock:
            if self._synthesizer is None:
                self._synthesizer = Synthesizer(self.settings)
            return self._synthesizer

    def warm(self) -> float:
        """Load Whisper and both voices before the first customer speaks (the first Chinese reply waited
        ~3 s for Kokoro to load); seconds taken. A voice that cannot load is logged, not fatal: the chat
        works without it and /api/speak says what to install."""
        started = time.perf_counter()
        try:
            self.transcriber().model()
        except MissingModelPackage as exc:
            log.warning("speech recognition is unavailable: %s", exc)
        for text, language in (("您好。", "zh"), ("Hello.", "en")):
            try:
                self.synthesizer().run(text, language)  # type: ignore[arg-type]
            except EngineUnavailable as exc:
                log.warning("the %s voice is unavailable: %s", language, exc)
        return time.perf_counter() - started


def voice_router(settings: Settings, engines: VoiceEngines | None = None) -> APIRouter:
    router = APIRouter(tags=["voice"])
    engines = engines or VoiceEngines(settings)

    @router.post("/api/transcribe")
    async def transcribe(
        audio: UploadFile = File(description="A recording: webm/opus, ogg, wav, mp3, m4a or flac."),  # noqa: B008
        language: Literal["zh", "en"] | None = Form(default=None),  # noqa: B008
    ) -> dict[str, Any]:
        data = await _read_limited(audio, settings.voice_max_bytes)
        try:
            # Decoding and Whisper are CPU-bound: run them off the event loop.
            transcript = await run_in_threadpool(engines.transcriber().run, data, language)
        except AudioError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        except MissingModelPackage as exc:
            raise HTTPException(503, str(exc)) from exc
        return transcript.to_dict()

    @router.post("/api/speak", response_model=None)
    def speak(request: SpeakRequest) -> dict[str, Any] | StreamingResponse:
        synthesizer = engines.synthesizer()
        if request.stream:
            sentences = split_sentences(request.text)
            if not sentences:
                raise HTTPException(422, "there is nothing to say: the text is empty or holds only markup")
            return StreamingResponse(_speak_stream(synthesizer, sentences, request.language),
                                     media_type="application/x-ndjson")
        try:
            return synthesizer.run(request.text, request.language).to_dict()
        except NothingToSay as exc:
            raise HTTPException(422, str(exc)) from exc
        except EngineUnavailable as exc:
            raise HTTPException(503, str(exc)) from exc

    return router


def _speak_stream(synthesizer: Synthesizer, sentences: list[str], language: Literal["zh", "en"] | None
                  ) -> Iterator[bytes]:
    for index, sentence in enumerate(sentences):
        try:
            speech = synthesizer.run(sentence, language)
        except NothingToSay:
            continue
        except EngineUnavailable as exc:
            yield (json.dumps({"index": index, "error": str(exc)}) + "\n").encode()
            return
        yield (json.dumps({"index": index, "text": sentence, **speech.to_dict()}, ensure_ascii=False) + "\n").encode()


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read at most ``limit`` bytes; refuse a larger upload with 413 before it all sits in memory."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the audio is over the {limit / 2**20:.1f} MB limit: send a shorter recording")
        chunks.append(chunk)
    if size == 0:
        raise HTTPException(422, "the audio is empty (0 bytes): record again and check the microphone permission")
    return b"".join(chunks)
