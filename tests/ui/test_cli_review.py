"""The operator's review commands: `ingest` publishes (the README flows), `ingest --draft` waits for
`kb publish`, `kb edit` changes metadata, `kb search` shows drafts marked; each step is in the audit log."""

from __future__ import annotations

from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()

FEES = "# 收费标准\n\n## 第一条 账户管理费\n\n本行免收个人账户管理费。\n"
CLAUSE = "远洋环球医疗保险条款\n本条款自2026年3月1日起施行。\n第一条 等待期\n远洋环球医疗保险的等待期为一百八十日。\n"


def _env(settings, kb: str) -> dict[str, str]:
    return {"DE_DATA_DIR": str(settings.data_dir), "DE_MODELS_DIR": str(settings.model_cache), "DE_KB_NAME": kb}


def _id_of(listing: str, title: str) -> str:
    return next(line.split()[0] for line in listing.splitlines() if title in line)


def test_ingest_publishes_and_ingest_draft_waits_for_kb_publish(settings, tmp_path):
    from agent.records.audit import open_audit_log

    env = _env(settings, "cli-review")
    (tmp_path / "fees.md").write_text(FEES, encoding="utf-8")
    (tmp_path / "clause.txt").write_text(CLAUSE, encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(tmp_path / "fees.md")], env=env).exit_code == 0
    drafted = runner.invoke(app, ["ingest", "--draft", "--by", "ada", str(tmp_path / "clause.txt")], env=env)
    assert drafted.exit_code == 0, drafted.output
    assert "kb publish" in drafted.output

    listed = runner.invoke(app, ["kb", "list"], env=env).output
    assert "published" in next(line for line in listed.splitlines() if "收费标准" in line)
    assert "DRAFT" in next(line for line in listed.splitlines() if "远洋环球医疗保险条款" in line)  # content title
    doc_id = _id_of(listed, "远洋环球医疗保险条款")

    hits = runner.invoke(app, ["kb", "search", "远洋环球医疗保险等待期"], env=env).output
    assert "[DRAFT] 远洋环球医疗保险条款" in hits
    customers = runner.invoke(app, ["kb", "search", "--no-drafts", "远洋环球医疗保险等待期"], env=env).output
    assert "远洋环球医疗保险条款" not in customers

    edited = runner.invoke(app, ["kb", "edit", doc_id, "--audience", "staff", "--products", "medical", "--by", "rita"],
                           env=env)
    assert edited.exit_code == 0 and "staff" in edited.output and "medical" in edited.output
    bad = runner.invoke(app, ["kb", "edit", doc_id, "--effective-date", "soon"], env=env)
    assert bad.exit_code == 2 and "not a date like" in bad.output

    published = runner.invoke(app, ["kb", "publish", doc_id, "--by", "rita"], env=env)
    assert published.exit_code == 0, published.output
    listed = runner.invoke(app, ["kb", "list"], env=env).output
    assert "published" in next(line for line in listed.splitlines() if doc_id in line)
    again = runner.invoke(app, ["kb", "publish", doc_id], env=env)
    assert again.exit_code == 1 and "already published" in again.output

    events = [(e.actor, e.action) for e in open_audit_log(settings).events(subject=f"document:{doc_id}")]
    assert events == [("rita", "document.published"), ("rita", "document.edited"), ("ada", "document.uploaded")]
