"""Administrators edit the knowledge base over HTTP: upload, list, hit-test, delete; bad files are refused
with a reason and leave nothing behind."""

from __future__ import annotations

import httpx

FEES = ("---\ntitle: 海湾测试收费标准\nkind: product\n---\n# 海湾测试收费标准\n\n## 第三条 跨行转账手续费\n\n"
        "通过手机银行向他行账户转账，每笔收取手续费0.7元，每月前五笔免费。\n")


def test_an_uploaded_markdown_document_is_listed_and_found_by_hit_test(client, accounts, settings):
    admin = accounts["ada"].headers
    uploaded = client.post("/api/documents", files={"file": ("fees-test.md", FEES.encode(), "text/markdown")},
                           headers=admin)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["added"]
    listed = {d["title"]: d for d in client.get("/api/documents", headers=admin).json()}
    assert listed["海湾测试收费标准"]["chunks"] >= 1
    assert listed["海湾测试收费标准"]["source"].startswith(str(settings.data_dir / "uploads"))

    hits = client.get("/api/documents/search", params={"q": "跨行转账手续费多少钱", "k": 3}, headers=admin).json()
    assert hits[0]["title"] == "海湾测试收费标准"
    assert hits[0]["section"].endswith("第三条 跨行转账手续费") and hits[0]["rank"] == 1
    assert hits[0]["score"] >= hits[-1]["score"] and hits[0]["dense_score"] is not None

    doc_id = listed["海湾测试收费标准"]["id"]
    assert client.delete(f"/api/documents/{doc_id}", headers=admin).json() == {"removed": [doc_id]}
    titles = [h["title"] for h in client.get("/api/documents/search", params={"q": "跨行转账手续费"},
                                             headers=admin).json()]
    assert "海湾测试收费标准" not in titles
    assert not (settings.data_dir / "uploads" / settings.kb_name / "fees-test.md").exists()


def test_an_unreadable_file_is_refused_with_its_reason_and_not_kept(client, accounts, settings):
    response = client.post("/api/documents", files={"file": ("scan.pdf", b"%PDF-1.4 junk \x00\x01", "application/pdf")},
                           headers=accounts["ada"].headers)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("scan.pdf was not added:")
    assert not (settings.data_dir / "uploads" / settings.kb_name / "scan.pdf").exists()


def test_deleting_an_unknown_document_is_404(client, accounts):
    response = client.delete("/api/documents/no-such-doc", headers=accounts["ada"].headers)
    assert response.status_code == 404 and "GET /api/documents" in response.json()["detail"]


def test_a_file_over_the_size_limit_gets_413_with_the_limit_named(limited_server):
    big = b"# big\n\n" + "保险条款内容。".encode() * 80_000  # about 1.7 MB, the limit is 1 MB
    with httpx.Client(base_url=limited_server.url, timeout=120) as c:
        response = c.post("/api/documents", files={"file": ("big.md", big, "text/markdown")},
                          headers=limited_server.accounts["ada"].headers)
    assert response.status_code == 413
    assert "1 MB limit" in response.json()["detail"] and "DE_MAX_FILE_MB" in response.json()["detail"]
    assert not any((limited_server.settings.data_dir / "uploads").rglob("big.md"))
