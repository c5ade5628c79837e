"""The OpenAPI docs work with the network closed: Swagger UI comes from a local package, not a CDN."""

from __future__ import annotations

import re


def test_the_docs_page_loads_swagger_from_this_server_only(client):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text) + re.findall(r"url: ?'([^']+)'", page.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert client.get(asset).status_code == 200


def test_openapi_json_describes_every_area(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/ask", "/api/ask/stream", "/api/sessions", "/api/documents", "/api/documents/search",
                 "/api/tickets", "/api/tickets/{ticket_id}/reply", "/api/evals/runs", "/v1/chat/completions"):
        assert path in paths
