"""Decode what browsers and phones record into the 16 kHz mono float32 samples Whisper expects.

PyAV (FFmpeg's libraries, shipped as a wheel with faster-whisper) reads webm/opus, ogg, wav, mp3, m4a
and flac without an ``ffmpeg`` binary. Every way a recording can be unusable ends in an ``AudioError``
whose message says what was wrong and what to do, so the API can answer 413/422 instead of a 500.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

SAMPLE_RATE = 16_000
# Below this RMS level (about -60 dBFS) a recording holds no audible sound at all.
SILENCE_RMS = 0.001


class AudioError(ValueError):
    """A recording that cannot be used; ``status`` is the HTTP code an API should answer with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AudioLimits:
    max_seconds: float = 60.0
    max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def rms(self) -> float:
        return float(np.sqrt(np.mean(np.square(self.samples, dtype=np.float64)))) if len(self.samples) else 0.0


def decode(data: bytes | Path, limits: AudioLimits | None = None) -> Audio:
    """Decode any supported container to 16 kHz mono; refuse empty, corrupt, over-long or silent input."""
    limits = limits or AudioLimits()
    raw = data.read_bytes() if isinstance(data, Path) else data
    if not raw:
        raise AudioError("the audio is empty (0 bytes): record again and check the microphone permission")
    if len(raw) > limits.max_bytes:
        raise AudioError(
            f"the audio is {len(raw) / 2**20:.1f} MB, over the {limits.max_bytes / 2**20:.1f} MB limit: "
            "send a shorter recording",
            status=413,
        )
    samples = _decode_samples(raw, limits.max_seconds)
    audio = Audio(samples)
    if audio.duration_s < 0.1:
        raise AudioError(f"the audio is only {audio.duration_s * 1000:.0f} ms long: hold the button and speak")
    if audio.rms < SILENCE_RMS:
        raise AudioError("the audio is silent: check that the right microphone is selected and not muted")
    return audio


def _decode_samples(raw: bytes, max_seconds: float) -> np.ndarray:
    max_samples = int(max_seconds * SAMPLE_RATE)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(raw), mode="r") as container:
            if not container.streams.audio:
                raise AudioError("the file holds no audio track: send a voice recording (webm, ogg, wav, mp3, m4a)")
            stream = container.streams.audio[0]
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    total += _append(pieces, out)
                if total > max_samples:
                    raise _too_long(max_seconds)
            for out in resampler.resample(None):
                total += _append(pieces, out)
    except AudioError:
        raise
    except (av.FFmpegError, EOFError, ValueError, IndexError) as exc:
        raise AudioError(
            f"the audio could not be decoded ({type(exc).__name__}: {exc}); "
            "send webm/opus, ogg, wav, mp3, m4a or flac"
        ) from exc
    if total > max_samples:
        raise _too_long(max_seconds)
    if not pieces:
        raise AudioError("the audio holds no samples: record again")
    return np.concatenate(pieces).astype(np.float32, copy=False)


def _append(pieces: list[np.ndarray], frame: av.AudioFrame) -> int:
    array = frame.to_ndarray().reshape(-1)
    pieces.append(array)
    return len(array)


def _too_long(max_seconds: float) -> AudioError:
    return AudioError(f"the audio is longer than {max_seconds:.0f} s: speak one question at a time", status=413)


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM mono WAV of float [-1, 1] or int16 samples."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Samples (int16) and rate of a 16-bit mono WAV, as our TTS engines write it."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise AudioError("expected a 16-bit mono WAV")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16), wav.getframerate()

