"""QA runs eval suites from the web: list suites, start a retrieval-only run, read its summary and report."""

from __future__ import annotations

import time


def test_qa_runs_a_retrieval_only_suite_and_reads_its_summary_and_report(client, accounts):
    qa = accounts["quinn"].headers
    suites = {s["name"]: s for s in client.get("/api/evals/suites", headers=qa).json()}
    assert {"demo", "insurance_clauses_smoke"} <= set(suites)

    started = client.post("/api/evals/runs", json={"suite": "demo", "limit": 4}, headers=qa)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["mode"] == "retrieval"
    deadline = time.time() + 300
    while job["status"] in ("queued", "running"):
        assert time.time() < deadline, "the eval run did not finish"
        time.sleep(1)
        job = client.get(f"/api/evals/runs/{job['id']}", headers=qa).json()
    assert job["status"] == "done", job
    assert job["summary"]["cases"] == 4 and 0.0 <= job["summary"]["recall_at_5"] <= 1.0

    runs = [r["run"] for r in client.get("/api/evals/reports", headers=qa).json()]
    assert job["run"] in runs
    report = client.get(f"/api/evals/reports/{job['run']}/report.html", headers=qa)
    assert report.status_code == 200 and "<html" in report.text.lower()
    assert client.get(f"/api/evals/reports/{job['run']}/report.html",
                      headers=accounts["carol"].headers).status_code == 403
    summary = client.get(f"/api/evals/reports/{job['run']}/summary.json", headers=qa)
    assert summary.status_code == 200 and summary.json()["cases"] == 4
    assert client.get(f"/api/evals/reports/{job['run']}/results.jsonl", headers=qa).status_code == 404


def test_an_unknown_suite_or_run_is_explained(client, accounts):
    qa = accounts["quinn"].headers
    bad = client.post("/api/evals/runs", json={"suite": "nope"}, headers=qa)
    assert bad.status_code == 422 and "demo" in bad.json()["detail"]
    assert client.get("/api/evals/reports/../../etc/report.html", headers=qa).status_code == 404
    assert client.get("/api/evals/runs/nope", headers=qa).status_code == 404
