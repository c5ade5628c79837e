"""Long silences in synthesized speech are shortened; speech itself is never cut."""

from __future__ import annotations

import numpy as np

from voice.pauses import tighten_pauses

RATE = 24_000


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.5 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.int16)


def test_a_long_pause_between_words_is_cut_to_the_limit_and_the_edges_trimmed():
    audio = np.concatenate([_silence(0.5), _tone(1.0), _silence(0.9), _tone(1.0), _silence(0.4)])
    tight = tighten_pauses(audio, RATE, max_pause_ms=350, edge_ms=60)
    assert abs(len(tight) / RATE - (0.06 + 1.0 + 0.35 + 1.0 + 0.06)) < 0.03
    def loud(a: np.ndarray) -> int:
        return int((np.abs(a.astype(np.int32)) > 1000).sum())

    assert loud(tight) == loud(audio), "every loud sample is kept"


def test_short_pauses_and_silence_only_audio_are_left_alone():
    audio = np.concatenate([_tone(0.5), _silence(0.2), _tone(0.5)])
    assert len(tighten_pauses(audio, RATE, edge_ms=0)) == len(audio)
    quiet = _silence(1.0)
    assert len(tighten_pauses(quiet, RATE)) == len(quiet)
