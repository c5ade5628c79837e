"""Check, sentence by sentence, that the answer says only what its evidence says.

Lexical support, deterministic and language-aware: the share of a sentence's terms (Chinese character
bigrams, English words) found in an evidence text, and every number of the sentence present there. A
sentence keeps the citations that support it, gains the best-supporting one when it cited none or the
wrong one, and is dropped when no evidence supports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_SUPPORT = 0.5
_MIN_CONTENT_TERMS = 3  # shorter sentences ("可以。", "No.") carry no claim of their own

_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE = re.compile(r".+?(?:[。！？!?；;]+|(?<=[a-z0-9)\]%])\.(?=\s|$)|\n+|$)(?:\s*(?:\[\d+\])+)?", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_EN_STOP = frozenset("the a an of to and or is are be in on for at by with it its this that your you we our "
                     "will can may if as from after before not no any".split())


def _terms(text: str) -> set[str]:
    text = text.lower()
    cjk = "".join(_CJK.findall(text))
    bigrams = {cjk[i : i + 2] for i in range(len(cjk) - 1)}
    words = {w for w in _WORD.findall(text) if w not in _EN_STOP and len(w) > 1}
    return bigrams | words


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def support(sentence: str, evidence: str) -> float:
    """Share of the sentence's terms found in the evidence; 0 when a number is not in the evidence."""
    if not _numbers(sentence) <= _numbers(evidence):
        return 0.0
    terms = _terms(sentence)
    if not terms:
        return 0.0
    return len(terms & _terms(evidence)) / len(terms)


def carries_claim(sentence: str) -> bool:
    """Whether a sentence states something evidence must support ("可以。" and "No." do not)."""
    return len(_terms(sentence)) >= _MIN_CONTENT_TERMS or bool(_numbers(sentence))


def best_support(sentence: str, evidence_texts: list[str]) -> float:
    return max((support(sentence, ev) for ev in evidence_texts), default=0.0)


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def sentence_key(sentence: str) -> str:
    """What two sentences share when one repeats the other (markers, punctuation and case aside)."""
    return re.sub(r"[\W_]+", "", _MARKER.sub("", sentence).lower())


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    dropped: tuple[str, ...]  # sentences removed as unsupported


def split_sentences(text: str) -> list[str]:
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def check_support(text: str, evidence_texts: list[str], min_support: float = MIN_SUPPORT) -> CheckedAnswer:
    kept: list[str] = []
    dropped: list[str] = []
    said: set[str] = set()
    for sentence in split_sentences(text):
        claim = _MARKER.sub("", sentence).strip()
        key = sentence_key(claim)
        if key and key in said:  # a small model's loop: a sentence said twice is said once
            dropped.append(claim)
            continue
        said.add(key)
        trailing = sentence[len(sentence.rstrip()):]
        if not carries_claim(claim):
            kept.append(_MARKER.sub("", sentence))
            continue
        scores = [support(claim, ev) for ev in evidence_texts]
        cited = [int(n) for n in _MARKER.findall(sentence) if 1 <= int(n) <= len(evidence_texts)]
        good = [n for n in dict.fromkeys(cited) if scores[n - 1] >= min_support]
        if not good:
            best = max(range(len(scores)), key=lambda i: scores[i], default=None)
            if best is not None and scores[best] >= min_support:
                good = [best + 1]
        if not good:
            dropped.append(claim)
            continue
        body = _MARKER.sub("", sentence).rstrip()
        # Put the markers before the closing punctuation, as the prompts ask: "……2.35%[1]。"
        stop = re.search(r"[。！？!?；;.]+$", body)
        marks = "".join(f"[{n}]" for n in good)
        kept.append((body[: stop.start()] + marks + stop.group(0) if stop else body + marks) + trailing)
    return CheckedAnswer("".join(kept).strip(), tuple(dropped))
