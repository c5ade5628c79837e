"""The trainer database (real SQLite): lessons draft -> published, imported banks, attempts; and the
progress summary and exports a training manager opens."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from agent.trainer.bank import ExamQuestion
from agent.trainer.editing import LessonEditError, apply_points_edit
from agent.trainer.progress import attempts_csv, progress_html, summarize
from agent.trainer.store import AttemptKind, LessonStatus, TrainerStore, UnknownLessonError, trainer_url
from settings import Settings

SOURCE = {"chunk_id": "c1", "document_title": "海湾百万医疗保险条款", "section": "第五条 等待期",
          "text": "自本合同生效日起30日内为等待期。"}
CONTENT = {"topic": "medical", "points": [{"category": "key_point", "text": "等待期为30日", "clauses": [SOURCE]}],
           "sources": [SOURCE]}


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert trainer_url(settings) == f"sqlite:///{tmp_path / 'trainer.sqlite'}"
    assert trainer_url(settings.model_copy(update={"trainer_url": "postgresql+psycopg://u@h/db"})).startswith("postgresql")


def test_lesson_goes_from_draft_to_published_and_back_to_draft_when_edited(store: TrainerStore) -> None:
    lesson_id = store.save_lesson("medical", "key1", CONTENT, author="王老师")
    assert store.lesson(lesson_id).status is LessonStatus.DRAFT
    published = store.publish_lesson(lesson_id)
    assert published.status is LessonStatus.PUBLISHED and published.published_at is not None
    assert [r.id for r in store.lessons(status=LessonStatus.PUBLISHED)] == [lesson_id]
    edited = apply_points_edit(CONTENT, '[{"category": "key_point", "text": "等待期为自生效日起30日"}]')
    record = store.edit_lesson(lesson_id, edited, author="李老师")
    assert record.status is LessonStatus.DRAFT and record.published_at is None
    assert record.content["points"][0]["text"] == "等待期为自生效日起30日"
    assert record.content["points"][0]["clauses"][0]["section"] == "第五条 等待期"  # citation kept
    assert record.author == "李老师"


def test_unknown_lesson_is_a_clear_error(store: TrainerStore) -> None:
    with pytest.raises(UnknownLessonError, match="no lesson 42"):
        store.publish_lesson(42)


@pytest.mark.parametrize(("points", "message"), [
    ("not json", "not JSON"),
    ('{"a": 1}', "JSON list"),
    ('[{"category": "key_point", "text": ""}]', "non-empty"),
    ('[{"category": "gossip", "text": "x"}]', "category 'gossip'"),
    ('[{"category": "key_point", "text": "a"}, {"category": "key_point", "text": "b"}]', "point 2 is new"),
    ('[{"category": "key_point", "text": "a", "source": 9}]', "source must be a clause number from 1 to 1"),
])
def test_a_bad_lesson_edit_is_refused_with_what_to_fix(points: str, message: str) -> None:
    with pytest.raises(LessonEditError, match=message):
        apply_points_edit(CONTENT, points)


def test_imported_questions_round_trip_and_reimport_replaces(store: TrainerStore) -> None:
    q = ExamQuestion("1", "insurance_dev", "犹豫期是几天？", ("10日", "15日", "20日", "30日"), "B", "第五条")
    assert store.import_questions((q,)) == 1
    store.import_questions((ExamQuestion("1", "insurance_dev", "犹豫期是几天？", q.options, "B", "修订"),))
    (back,) = store.bank_questions("insurance_dev")
    assert back.options == q.options and back.explanation == "修订"


def test_attempts_are_validated(store: TrainerStore) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        store.record_attempt("张三", AttemptKind.QUIZ, "medical", 1.5)
    with pytest.raises(ValueError, match="trainee name"):
        store.record_attempt(" ", AttemptKind.QUIZ, "medical", 0.5)
    with pytest.raises(ValueError, match="unknown attempt kind"):
        store.record_attempt("张三", "dance", "medical", 0.5)


def _record_history(store: TrainerStore) -> None:
    store.record_attempt("张三", "quiz", "medical", 1.0, "等待期几天？")
    store.record_attempt("张三", "quiz", "medical", 0.0, "免赔额多少？")
    store.record_attempt("张三", "roleplay", "cooling-off-cancel", 0.9, "非常理解……", {"total": 90})
    store.record_attempt("李四<b>", "exam", "insurance_dev", 0.2, "风险因素")


def test_progress_summary_finds_weak_topics_per_trainee(store: TrainerStore) -> None:
    _record_history(store)
    zhang, li = summarize(store.attempts())
    assert (zhang.trainee, zhang.attempts, round(zhang.mean, 2)) == ("张三", 3, 0.63)
    assert zhang.weak_topics == ("medical",)  # mean 0.5
    assert [t.topic for t in zhang.topics] == ["medical", "cooling-off-cancel"]  # worst first
    assert li.weak_topics == ("insurance_dev",)
    assert [a.item for a in store.attempts("张三")][0] == "等待期几天？"


def test_csv_export_opens_in_a_spreadsheet(store: TrainerStore) -> None:
    _record_history(store)
    text = attempts_csv(store.attempts())
    assert text.startswith("\ufeff")  # Excel reads UTF-8 Chinese only with a BOM
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 4
    expected = {"trainee": "张三", "kind": "roleplay", "topic": "cooling-off-cancel", "score": "0.900"}
    assert rows[2] == {**rows[2], **expected}


def test_html_report_is_self_contained_and_escaped(store: TrainerStore, tmp_path: Path) -> None:
    _record_history(store)
    page = progress_html(store.attempts())
    assert "<td>张三</td><td>3</td><td>63%</td><td>medical</td>" in page
    assert "李四&lt;b&gt;" in page and "李四<b>" not in page
    assert "<script" not in page and "http" not in page


def test_progress_survives_reopening_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.sqlite'}"
    first = TrainerStore(url)
    first.record_attempt("张三", "quiz", "medical", 1.0)
    first.close()
    again = TrainerStore(url)
    assert [a.trainee for a in again.attempts()] == ["张三"]
    again.close()
