"""Chinese text normalisation shared by indexing and querying: one script (Simplified), so a customer
typing 保險 in Traditional characters still finds 保险."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUNS = re.compile(r"[\u4e00-\u9fff]{2,}")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with OpenCC's phrase tables; text without Han characters is returned as is."""
    if not _HAN.search(text):
        return text
    return str(_t2s().convert(text))


def han_bigrams(text: str) -> list[str]:
    """Overlapping character pairs of every run of Han characters: they match words a segmenter cut
    differently in the question and in the clause (等待期 / 等待 期)."""
    return [run[i : i + 2] for run in _HAN_RUNS.findall(text) for i in range(len(run) - 1)]
