"""Administrators edit the knowledge base over HTTP: upload (as a draft), review, publish, list, hit-test,
delete; bad files are refused with a reason and leave nothing behind; customers never get a draft."""

from __future__ import annotations

import httpx

FEES = ("---\ntitle: 海湾测试收费标准\nkind: product\n---\n# 海湾测试收费标准\n\n## 第三条 跨行转账手续费\n\n"
        "通过手机银行向他行账户转账，每笔收取手续费0.7元，每月前五笔免费。\n")


def test_an_uploaded_markdown_document_is_listed_and_found_by_hit_test(client, accounts, settings):
    admin = accounts["ada"].headers
    uploaded = client.post("/api/documents", files={"file": ("fees-test.md", FEES.encode(), "text/markdown")},
                           headers=admin)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["added"] and uploaded.json()["drafts"][0]["status"] == "draft"
    listed = {d["title"]: d for d in client.get("/api/documents", headers=admin).json()}
    assert listed["海湾测试收费标准"]["chunks"] >= 1 and listed["海湾测试收费标准"]["status"] == "draft"
    assert listed["海湾测试收费标准"]["source"].startswith(str(settings.data_dir / "uploads"))

    hits = client.get("/api/documents/search", params={"q": "跨行转账手续费多少钱", "k": 3}, headers=admin).json()
    assert hits[0]["title"] == "海湾测试收费标准" and hits[0]["status"] == "draft"
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


# An insurer's wording as a pilot uploaded it: no front matter, no Markdown title, a file name that says nothing.
FOREIGN = ("远洋海外人寿保险股份有限公司\n远洋环球医疗保险条款\n本条款自2026年3月1日起施行。\n第一条 保险责任\n"
           "被保险人在境外因意外伤害住院的，本公司按住院费用的百分之九十给付远洋境外医疗保险金。\n")
QUESTION = "远洋境外住院医疗保险金按住院费用的多少给付"


def _customer_chunks(demo_answerer, document_id: str) -> list[str]:
    """What the running server's customer path retrieves from this document (its retriever and filters)."""
    evidence = demo_answerer.retriever.run(QUESTION, 10, demo_answerer.filters)
    return [ev.chunk.id for ev in evidence if ev.document.id == document_id]


def test_an_upload_is_a_draft_customers_never_get_until_an_admin_publishes_it(client, accounts, demo_answerer):
    admin = accounts["ada"].headers
    uploaded = client.post("/api/documents", files={"file": ("scan_0042.txt", FOREIGN.encode(), "text/plain")},
                           headers=admin)
    assert uploaded.status_code == 201, uploaded.text
    (draft,) = uploaded.json()["drafts"]
    doc_id = draft["id"]
    try:
        # prefilled from the content, not the file name; a draft, uploaded by the admin who sent it
        assert draft["title"] == "远洋环球医疗保险条款" and draft["effective_date"] == "2026-03-01"
        assert (draft["status"], draft["uploaded_by"], draft["audience"]) == ("draft", "ada", "customer")
        assert _customer_chunks(demo_answerer, doc_id) == []
        hits = client.get("/api/documents/search", params={"q": QUESTION, "k": 3}, headers=admin).json()
        assert hits[0]["document_id"] == doc_id and hits[0]["status"] == "draft"
        published_only = client.get("/api/documents/search", params={"q": QUESTION, "drafts": "false"},
                                    headers=admin).json()
        assert doc_id not in {h["document_id"] for h in published_only}

        edited = client.patch(f"/api/documents/{doc_id}", json={"title": "远洋环球医疗保险（境外）条款",
                                                               "products": ["medical"], "expiry_date": "2030-01-01"},
                              headers=admin)
        assert edited.status_code == 200, edited.text
        assert edited.json()["title"] == "远洋环球医疗保险（境外）条款" and edited.json()["products"] == ["medical"]
        bad = client.patch(f"/api/documents/{doc_id}", json={"audience": "everyone"}, headers=admin)
        assert bad.status_code == 422 and "customer" in bad.json()["detail"]
        assert _customer_chunks(demo_answerer, doc_id) == []

        published = client.post(f"/api/documents/{doc_id}/publish", headers=admin)
        assert published.status_code == 200, published.text
        assert published.json()["status"] == "published" and published.json()["published_by"] == "ada"
        assert _customer_chunks(demo_answerer, doc_id)  # answerable now
        again = client.post(f"/api/documents/{doc_id}/publish", headers=admin)
        assert again.status_code == 409 and "already published" in again.json()["detail"]

        history = client.get(f"/api/documents/{doc_id}/history", headers=admin).json()
        assert [(e["action"], e["actor"]) for e in history] == [
            ("document.published", "ada"), ("document.edited", "ada"), ("document.uploaded", "ada")]
        assert history[1]["detail"]["title"] == "远洋环球医疗保险条款 -> 远洋环球医疗保险（境外）条款"
        assert history[1]["detail"]["products"] == "(none) -> medical"

        withdrawn = client.post(f"/api/documents/{doc_id}/unpublish", headers=admin)
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "draft"
        assert _customer_chunks(demo_answerer, doc_id) == []
    finally:
        client.delete(f"/api/documents/{doc_id}", headers=admin)


def test_only_an_admin_uploads_edits_publishes_or_withdraws(client, accounts):
    admin = accounts["ada"].headers
    uploaded = client.post("/api/documents", files={"file": ("roles-test.md", FEES.encode(), "text/markdown")},
                           headers=admin)
    doc_id = uploaded.json()["drafts"][0]["id"]
    try:
        for name in ("sam", "quinn", "carol"):
            headers = accounts[name].headers
            assert client.post("/api/documents", files={"file": ("x.md", FEES.encode())},
                               headers=headers).status_code == 403
            assert client.patch(f"/api/documents/{doc_id}", json={"title": "x"}, headers=headers).status_code == 403
            assert client.post(f"/api/documents/{doc_id}/publish", headers=headers).status_code == 403
            assert client.post(f"/api/documents/{doc_id}/unpublish", headers=headers).status_code == 403
            assert client.get(f"/api/documents/{doc_id}/history", headers=headers).status_code == 403
        assert client.post(f"/api/documents/{doc_id}/publish").status_code == 401
        listed = {d["id"]: d for d in client.get("/api/documents", params={"status": "draft"}, headers=admin).json()}
        assert listed[doc_id]["status"] == "draft"  # nobody else's attempt changed it
    finally:
        client.delete(f"/api/documents/{doc_id}", headers=admin)


def test_a_changed_upload_waits_as_a_draft_while_the_published_version_answers(client, accounts, demo_answerer):
    admin = accounts["ada"].headers
    first = client.post("/api/documents", files={"file": ("foreign.txt", FOREIGN.encode())}, headers=admin)
    doc_id = first.json()["drafts"][0]["id"]
    try:
        client.post(f"/api/documents/{doc_id}/publish", headers=admin)
        changed = FOREIGN.replace("百分之九十", "百分之七十")
        second = client.post("/api/documents", files={"file": ("foreign.txt", changed.encode())}, headers=admin)
        assert second.status_code == 201 and second.json()["updated"]
        statuses = sorted(d["status"] for d in client.get("/api/documents", headers=admin).json() if d["id"] == doc_id)
        assert statuses == ["draft", "published"]
        texts = [ev.chunk.text for ev in demo_answerer.retriever.run(QUESTION, 10, demo_answerer.filters)
                 if ev.document.id == doc_id]
        assert any("百分之九十" in t for t in texts) and not any("百分之七十" in t for t in texts)  # reviewed text

        discarded = client.delete(f"/api/documents/{doc_id}", params={"status": "draft"}, headers=admin)
        assert discarded.json() == {"removed": [doc_id]}
        listed = [d for d in client.get("/api/documents", headers=admin).json() if d["id"] == doc_id]
        assert [d["status"] for d in listed] == ["published"]
    finally:
        client.delete(f"/api/documents/{doc_id}", headers=admin)
