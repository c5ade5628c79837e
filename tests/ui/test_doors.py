"""Every door of the web app, tried with the wrong key: nobody gets past a role they do not have."""

from __future__ import annotations

import httpx
import pytest

STAFF_ONLY_API = [("GET", "/api/documents"), ("GET", "/api/documents/search?q=x"), ("DELETE", "/api/documents/x"),
                  ("GET", "/api/tickets"), ("GET", "/api/tickets/x"), ("POST", "/api/tickets/x/close"),
                  ("GET", "/api/evals/suites"), ("GET", "/api/evals/reports"), ("GET", "/api/trainer/lessons")]
STAFF_PAGES = ["/knowledge/", "/handoff/", "/evals/", "/trainer/", "/knowledge/gradio_api/info"]


@pytest.mark.parametrize(("method", "path"), STAFF_ONLY_API)
def test_anonymous_callers_get_401_from_staff_admin_and_qa_endpoints(client: httpx.Client, method: str, path: str):
    response = client.request(method, path)
    assert response.status_code == 401, response.text
    assert "log in" in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), STAFF_ONLY_API)
def test_a_customer_key_gets_403_from_staff_admin_and_qa_endpoints(client, accounts, method, path):
    response = client.request(method, path, headers=accounts["carol"].headers)
    assert response.status_code == 403, response.text
    assert "forbidden" in response.json()["detail"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_customer_key_gets_403_on_every_staff_page(client, accounts, path):
    response = client.get(path, headers=accounts["carol"].headers)
    assert response.status_code == 403


def test_a_logged_in_customer_cookie_gets_403_on_the_knowledge_page(client, accounts):
    login = client.post("/login", data={"name": "carol", "password": accounts["carol"].password})
    assert login.status_code == 303 and "de_login" in login.cookies
    assert client.get("/knowledge/").status_code == 403


def test_a_guest_is_sent_to_the_login_page_from_a_staff_page(client):
    assert client.get("/").status_code == 200 and "de_guest" in client.cookies  # the guest cookie
    response = client.get("/handoff/", headers={"Accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/handoff/"


def test_each_role_reaches_its_own_door(client, accounts):
    assert client.get("/api/documents", headers=accounts["ada"].headers).status_code == 200
    assert client.get("/api/tickets", headers=accounts["sam"].headers).status_code == 200
    assert client.get("/api/evals/suites", headers=accounts["quinn"].headers).status_code == 200
    assert client.get("/handoff/", headers=accounts["sam"].headers).status_code == 200
    trainer = client.get("/trainer/", headers=accounts["sam"].headers)  # staff rehearse with the trainer
    assert trainer.status_code == 200 and "gradio" in trainer.text.lower()


def test_staff_cannot_edit_the_knowledge_base_and_qa_cannot_read_tickets(client, accounts):
    assert client.get("/api/documents", headers=accounts["sam"].headers).status_code == 403
    assert client.get("/api/tickets", headers=accounts["quinn"].headers).status_code == 403


def test_a_wrong_api_key_is_refused_with_401(client):
    response = client.get("/api/sessions/x", headers={"Authorization": "Bearer de_not-a-real-key"})
    assert response.status_code == 401 and "invalid API key" in response.json()["detail"]


def test_a_wrong_password_does_not_log_in(client):
    response = client.post("/login", data={"name": "ada", "password": "guess"})
    assert response.status_code == 401 and "de_login" not in response.cookies


def test_a_tampered_login_cookie_is_worth_nothing(client, accounts):
    client.post("/login", data={"name": "carol", "password": accounts["carol"].password})
    token = client.cookies["de_login"]
    body, mac = token.rsplit(".", 1)
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps({"sub": "ada", "iat": 9_999_999_999}).encode()).decode()
    client.cookies.set("de_login", f"{forged}.{mac}")
    assert client.get("/api/documents").status_code == 401


def test_a_customer_cannot_read_another_customers_session(client, accounts):
    created = client.post("/api/sessions", headers=accounts["carol"].headers)
    assert created.status_code == 201
    session_id = created.json()["session_id"]
    assert client.get(f"/api/sessions/{session_id}", headers=accounts["carol"].headers).status_code == 200
    stolen = client.get(f"/api/sessions/{session_id}", headers=accounts["dave"].headers)
    assert stolen.status_code == 403
    ask = client.post("/api/ask", json={"question": "你好", "session_id": session_id}, headers=accounts["dave"].headers)
    assert ask.status_code == 403


def test_an_unknown_session_is_404(client, accounts):
    response = client.get("/api/sessions/00000000-0000-0000-0000-000000000000", headers=accounts["carol"].headers)
    assert response.status_code == 404 and "POST /api/sessions" in response.json()["detail"]


def test_the_rate_limit_answers_429_with_retry_after(limited_server, accounts):
    headers = limited_server.accounts["carol"].headers
    with httpx.Client(base_url=limited_server.url, timeout=60) as c:
        codes = [c.post("/api/sessions", headers=headers).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        refused = c.post("/api/sessions", headers=headers)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "DE_RATE_LIMIT_PER_MINUTE" in refused.json()["detail"]
        # another caller has their own bucket
        assert c.post("/api/sessions", headers=limited_server.accounts["dave"].headers).status_code == 201


@pytest.fixture(scope="module")
def locked_server(settings, demo_answerer, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A server with ``require_login``: no guests."""
    from tests.serving import serving
    from ui.server import create_app

    locked = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("locked"), "require_login": True})
    with serving(create_app(locked, demo_answerer)) as url:
        yield url


def test_with_require_login_a_stranger_gets_no_guest_identity(locked_server):
    with httpx.Client(base_url=locked_server, timeout=60) as c:
        page = c.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert "de_guest" not in c.cookies
        assert c.post("/api/ask", json={"question": "你好"}).status_code == 401
        assert c.get("/login").status_code == 200


def test_the_staff_pages_load_for_their_roles(client, accounts):
    for path, who in (("/knowledge/", "ada"), ("/handoff/", "sam"), ("/evals/", "quinn"), ("/evals/", "ada")):
        response = client.get(path, headers=accounts[who].headers)
        assert response.status_code == 200 and "<html" in response.text.lower(), (path, who)


@pytest.mark.parametrize(("path", "who"), [("/knowledge", "ada"), ("/handoff", "sam"), ("/evals", "quinn"),
                                           ("/trainer", "sam")])
def test_a_staff_page_without_its_trailing_slash_redirects_to_the_page(client, accounts, path, who):
    response = client.get(path, headers=accounts[who].headers)
    assert response.status_code == 307 and response.headers["location"] == f"{path}/"
    page = client.get(path, headers=accounts[who].headers, follow_redirects=True)
    assert page.status_code == 200 and "<html" in page.text.lower() and "Not Found" not in page.text
    assert client.get(f"{path}?lang=en", headers=accounts[who].headers).headers["location"] == f"{path}/?lang=en"


@pytest.mark.parametrize("who", ["ada", "sam", "quinn"])
def test_logging_in_lands_on_a_page_that_renders(client, accounts, who):
    response = client.post("/login", data={"name": who, "password": accounts[who].password}, follow_redirects=True)
    assert response.status_code == 200 and "<html" in response.text.lower(), (who, response.url, response.text[:200])
    assert str(response.url).endswith("/"), response.url


def test_a_bare_staff_path_still_needs_the_role(client, accounts):
    assert client.get("/knowledge", headers=accounts["carol"].headers).status_code == 403
    anonymous = client.get("/evals", headers={"Accept": "text/html"})
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/evals"
