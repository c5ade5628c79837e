"""Error rates for speech: character error rate (Chinese) and word error rate (English).

Both sides go through the same speech normalisation first, so "2.35%" and "百分之二点三五" count as the
same words: we measure whether the speech was understood, not how Whisper formats numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from voice.speech_text import Language, normalize
from voice.transcribe import to_simplified


def _distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    return int(Levenshtein.distance(reference, hypothesis))


def units(text: str, language: Language) -> list[str]:
    """Characters (zh) or lower-case words (en) after speech normalisation, punctuation dropped."""
    spoken = normalize(text, language)
    if language == "zh":
        return [c for c in to_simplified(spoken) if c.isalnum()]
    return re.findall(r"[a-z0-9']+", spoken.lower().replace("-", " "))


def error_rate(reference: str, hypothesis: str, language: Language) -> float:
    """CER for zh, WER for en: edits needed to turn the hypothesis into the reference, per reference unit."""
    ref = units(reference, language)
    if not ref:
        raise ValueError("the reference is empty")
    return _distance(ref, units(hypothesis, language)) / len(ref)


def syllable_error_rate(reference: str, hypothesis: str) -> float:
    """Mandarin only: errors over toneless pinyin syllables. Whisper writes homophones (期为 -> 七位) that a
    listener would never confuse; this rate measures what was heard, CER what was written."""
    from pypinyin import lazy_pinyin

    ref = lazy_pinyin("".join(units(reference, "zh")))
    if not ref:
        raise ValueError("the reference is empty")
    return _distance(ref, lazy_pinyin("".join(units(hypothesis, "zh")))) / len(ref)
