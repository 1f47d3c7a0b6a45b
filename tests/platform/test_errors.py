"""One error mapping (genstudio/web/errors.py) for every studio error raised anywhere below the web layer: the
status the error names, its details and headers, JSON for API clients and JSON endpoints, an error page for
browsers, and the message in the visitor's language."""

from __future__ import annotations

import pytest

from genstudio.errors import (
    InputError,
    LimitExceeded,
    ModelMissing,
    ParamError,
    QueueFull,
    QueueUnavailable,
    StorageFull,
    UnknownService,
)

ERRORS = {
    "param": ParamError("count", "must be between %(lo)s and %(hi)s", lo=1, hi=4),
    "input": InputError("the image is too large (%(width)s×%(height)s pixels)", status=413, width=9, height=8),
    "busy": InputError("the server is busy decoding other uploads; try again shortly", status=503),
    "missing": ModelMissing("model 'toy-absent' is not installed — train it"),
    "unknown": UnknownService("unknown service 'nope'"),
    "limit": LimitExceeded("daily image limit reached (%(limit)s images per 24 hours)", limit=5),
    "queue": QueueFull(7),
    "redis": QueueUnavailable(3, "connection refused"),
    "storage": StorageFull(),
}

# kind -> (status, JSON answer, headers)
EXPECTED = {
    "param": (422, {"error": "count: must be between 1 and 4", "field": "count"}, {}),
    "input": (413, {"error": "the image is too large (9×8 pixels)", "field": "image"}, {}),
    "busy": (503, {"error": "the server is busy decoding other uploads; try again shortly", "field": "image"},
             {"Retry-After": "5"}),
    "missing": (503, {"error": "model 'toy-absent' is not installed — train it", "missing": True}, {}),
    "unknown": (404, {"error": "unknown service 'nope'"}, {}),
    "limit": (429, {"error": "daily image limit reached (5 images per 24 hours)"}, {}),
    "queue": (503, {"error": "the job queue is full; try again shortly"}, {"Retry-After": "7"}),
    "redis": (503, {"error": "the job queue is unavailable right now; try again shortly"}, {"Retry-After": "3"}),
    "storage": (507, {"error": "the image storage is full; delete some images or ask the administrator to raise "
                               "GENSTUDIO_STORAGE_QUOTA_MB or free disk space"}, {}),
}


@pytest.fixture
def client(make_app):
    """The toy app with a page and an API-like route that raise each error."""
    app = make_app()

    def boom(kind: str):
        raise ERRORS[kind]

    app.add_url_rule("/boom/<kind>", "boom_page", boom)
    app.add_url_rule("/api/v1/boom/<kind>", "boom_api", boom)
    return app.test_client()


@pytest.mark.parametrize("kind", list(ERRORS))
def test_api_clients_get_json_with_the_errors_status_details_and_headers(client, kind):
    status, body, headers = EXPECTED[kind]
    for response in (client.get(f"/api/v1/boom/{kind}"),  # an API path: JSON whatever the client accepts
                     client.get(f"/boom/{kind}", headers={"Accept": "application/json"})):
        assert response.status_code == status
        assert response.mimetype == "application/json"
        assert response.get_json() == body
        for name, value in headers.items():
            assert response.headers[name] == value
        if not headers:
            assert "Retry-After" not in response.headers


@pytest.mark.parametrize("kind", list(ERRORS))
def test_browsers_get_an_error_page_with_the_same_status_and_message(client, kind):
    from html import unescape

    status, body, headers = EXPECTED[kind]
    response = client.get(f"/boom/{kind}", headers={"Accept": "text/html"})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = unescape(response.get_data(as_text=True))
    assert f'<p class="lead text-body-secondary" id="error-message">{body["error"]}</p>' in html
    assert "Traceback" not in html
    for name, value in headers.items():
        assert response.headers[name] == value


def test_the_error_page_names_the_status_in_the_visitors_language(client):
    response = client.get("/boom/queue", headers={"Accept": "text/html", "Accept-Language": "ko"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "작업 대기열이 가득 찼습니다" in html and "일시적으로 사용할 수 없습니다" in html
    storage = client.get("/boom/storage", headers={"Accept": "text/html", "Accept-Language": "ko"})
    assert storage.status_code == 507 and "저장 공간이 가득 찼습니다" in storage.get_data(as_text=True)
    answer = client.get("/api/v1/boom/param", headers={"Accept-Language": "ko"}).get_json()
    assert answer == {"error": "개수: 1에서 4 사이여야 합니다", "field": "count"}  # the label translated too


def test_http_errors_and_bugs_go_through_the_same_mapping(client, make_app):
    page = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert client.get("/api/v1/no/such").get_json() == {"error": "not found"}
    app = make_app()

    def bug():
        raise KeyError("a bug")

    app.add_url_rule("/bug", "bug", bug)
    response = app.test_client().get("/bug", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.get_json() == {"error": "an internal error occurred; it has been logged"}
