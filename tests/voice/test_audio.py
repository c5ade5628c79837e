"""Decoding what browsers record, and refusing recordings that cannot be used."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import cast

import av
import numpy as np
import pytest
from av.audio.stream import AudioStream

from voice.audio import SAMPLE_RATE, AudioError, AudioLimits, decode, wav_bytes


def tone(seconds: float, freq: float = 220.0, rate: int = 48_000, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def encode(samples: np.ndarray, rate: int, container: str, codec: str) -> bytes:
    """Encode mono float samples with PyAV, as a browser or phone would have recorded them."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = cast(AudioStream, out.add_stream(codec, rate=rate))
        stream.layout = "mono"
        formats = stream.codec_context.codec.audio_formats
        assert formats, f"{codec} lists no sample formats"
        fmt = formats[0].name
        frame_size = 960
        pts = 0
        for start in range(0, len(samples), frame_size):
            chunk = samples[start:start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = pts
            pts += len(chunk)
            resampled = av.AudioResampler(format=fmt, layout="mono", rate=rate).resample(frame)
            for piece in resampled:
                for packet in stream.encode(piece):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(("container", "codec"), [
    ("webm", "libopus"), ("ogg", "libopus"), ("mp3", "libmp3lame"), ("mp4", "aac"), ("flac", "flac"),
    ("wav", "pcm_s16le"),
])
def test_decodes_each_browser_container_to_16khz_mono(container: str, codec: str) -> None:
    data = encode(tone(2.0), 48_000, container, codec)
    audio = decode(data)
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.duration_s == pytest.approx(2.0, abs=0.1)
    assert 0.15 < audio.rms < 0.25  # a 0.3 sine has RMS 0.21: the level survives the codec


def test_decodes_the_real_clips(speech_dir: Path) -> None:
    jfk = decode(speech_dir / "jfk.flac")
    assert jfk.duration_s == pytest.approx(11.0, abs=0.05)
    mandarin = decode(speech_dir / "BAC009S0764W0121.wav")
    assert mandarin.duration_s == pytest.approx(4.2, abs=0.05)


def test_decodes_a_webm_made_from_real_speech(speech_dir: Path) -> None:
    original = decode(speech_dir / "BAC009S0764W0121.wav")
    webm = encode(original.samples, SAMPLE_RATE, "webm", "libopus")
    again = decode(webm)
    assert again.duration_s == pytest.approx(original.duration_s, abs=0.05)


def test_refuses_empty_audio() -> None:
    with pytest.raises(AudioError, match="empty"):
        decode(b"")


def test_refuses_corrupt_audio_with_the_formats_it_takes() -> None:
    with pytest.raises(AudioError, match="could not be decoded.*webm"):
        decode(b"RIFF\x00\x00this is not audio at all" * 20)


def test_refuses_a_truncated_recording() -> None:
    data = encode(tone(1.0), 48_000, "mp4", "aac")
    with pytest.raises(AudioError):
        decode(data[: len(data) // 3])


def test_refuses_silence() -> None:
    with pytest.raises(AudioError, match="silent"):
        decode(wav_bytes(np.zeros(SAMPLE_RATE * 2, dtype=np.float32), SAMPLE_RATE))


def test_refuses_audio_longer_than_the_limit_with_413() -> None:
    data = wav_bytes(tone(3.0, rate=SAMPLE_RATE), SAMPLE_RATE)
    with pytest.raises(AudioError, match="longer than 2 s") as caught:
        decode(data, AudioLimits(max_seconds=2.0))
    assert caught.value.status == 413


def test_refuses_a_file_over_the_byte_limit_with_413() -> None:
    data = wav_bytes(tone(1.0, rate=SAMPLE_RATE), SAMPLE_RATE)
    with pytest.raises(AudioError, match="MB limit") as caught:
        decode(data, AudioLimits(max_bytes=1000))
    assert caught.value.status == 413


def test_refuses_a_click_too_short_to_be_speech() -> None:
    with pytest.raises(AudioError, match="ms long"):
        decode(wav_bytes(tone(0.05, rate=SAMPLE_RATE), SAMPLE_RATE))
