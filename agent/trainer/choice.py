"""Reading the option a model (or a trainee) picked out of free text: "答案：B", "(C)", "选D。", "B. 原保险"."""

from __future__ import annotations

import re

from agent.trainer.bank import LETTERS

_FULLWIDTH = str.maketrans("ＡＢＣＤａｂｃｄ", "ABCDabcd")
_EXPLICIT = re.compile(r"(?:答案|正确答案|正确选项|选项|应选|选择|选|answer(?:\s+is)?)\s*(?:是|为|应为|应该是|:|：)?\s*"
                       r"[\(（\[【]?\s*([A-D])(?![A-Za-z])", re.I)
_LEADING = re.compile(r"^\s*[\(（\[【]?\s*([A-D])\s*(?:[\)）\]】.．、:：,，;；\s]|$)")
_STANDALONE = re.compile(r"(?<![A-Za-z])([A-D])(?![A-Za-z])")


def parse_choice(text: str, options: tuple[str, ...] = ()) -> str | None:
    """The letter A-D the text commits to, or None when it names none or several.

    In order: an explicit "答案是B"; a letter opening the text; the only standalone capital A-D in it;
    the only option whose full text the answer repeats.
    """
    text = text.translate(_FULLWIDTH).strip()
    if not text:
        return None
    explicit = {m.group(1).upper() for m in _EXPLICIT.finditer(text)}
    if len(explicit) == 1:
        return explicit.pop()
    leading = _LEADING.match(text)
    if leading:
        return leading.group(1)
    standalone = set(_STANDALONE.findall(text))
    if len(standalone) == 1:
        return standalone.pop()
    repeated = [letter for letter, option in zip(LETTERS, options, strict=False)
                if option.strip() and option.strip() in text]
    if len(repeated) == 1:
        return repeated[0]
    return None
