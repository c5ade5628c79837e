"""How open the avatar's mouth is, 30 times a second, from the synthesized audio itself.

A loudness envelope needs no phoneme model and works for every engine and language: frame RMS in
decibels, gated below the noise floor, normalised to the loud parts of this utterance, with a fast
attack and slower release so the mouth neither flickers nor lags. The browser indexes the curve with
the audio element's ``currentTime``, so the mouth cannot drift from the sound.
"""

from __future__ import annotations

import numpy as np

FPS = 30
# Frames quieter than this, relative to the loudest 5% of frames, count as a closed mouth.
FLOOR_DB = -30.0


def mouth_curve(samples: np.ndarray, sample_rate: int, fps: int = FPS) -> tuple[float, ...]:
    """Mouth openness in [0, 1] per frame of ``1/fps`` seconds (frame i covers [i/fps, (i+1)/fps))."""
    audio = samples.astype(np.float32) / 32768.0 if samples.dtype == np.int16 else samples.astype(np.float32)
    hop = sample_rate / fps
    frames = int(np.ceil(len(audio) / hop)) if len(audio) else 0
    if frames == 0:
        return ()
    rms = np.empty(frames, dtype=np.float32)
    for i in range(frames):
        frame = audio[int(i * hop):int((i + 1) * hop)]
        rms[i] = np.sqrt(np.mean(np.square(frame))) if len(frame) else 0.0
    db = 20 * np.log10(np.maximum(rms, 1e-6))
    loud = float(np.percentile(db, 95))
    if loud < -55:  # silence throughout
        return tuple(0.0 for _ in range(frames))
    openness = np.clip((db - (loud + FLOOR_DB)) / -FLOOR_DB, 0.0, 1.0)
    return tuple(round(float(v), 3) for v in _smooth(openness))


def _smooth(values: np.ndarray, attack: float = 0.7, release: float = 0.35) -> np.ndarray:
    out = np.empty_like(values)
    level = 0.0
    for i, target in enumerate(values):
        rate = attack if target > level else release
        level += rate * (target - level)
        out[i] = level
    return out
