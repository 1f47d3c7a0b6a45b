"""Bad input at the edges: the JSON API and the upload endpoint fuzzed with Hypothesis, with requests drawn from
the API's own OpenAPI document (valid ones, near-valid ones and garbage). Whatever comes in: never a 500, never a
stack trace, always a JSON error naming the problem."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ..conftest import create_user, csrf_token, token_for

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@pytest.fixture
def fuzz_app(make_app):
    return make_app(JOB_WAIT_MAX=0.2, MAX_CONTENT_LENGTH=256 * 1024, JOB_RATE_LIMIT_USER="100000 per minute",
                    JOB_RATE_LIMIT_IP="100000 per minute", MAX_ACTIVE_JOBS_PER_USER=1000, JOB_QUEUE_SIZE=8)


@pytest.fixture
def api_headers(fuzz_app) -> dict[str, str]:
    """A token on the fuzzed app itself (the shared fixture's token belongs to the default `app`)."""
    create_user(fuzz_app, "fuzzer", "correct horse battery")
    return {"Authorization": f"Bearer {token_for(fuzz_app, 'fuzzer')}"}


@pytest.fixture
def doc(fuzz_app) -> dict:
    response = fuzz_app.test_client().get("/api/v1/openapi.json")  # public: no token needed
    assert response.status_code == 200
    return response.get_json()


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy:
    """Values valid for the (small) JSON-schema subset the document uses."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", "object")
    if isinstance(types, list):
        return st.one_of([from_schema({**schema, "type": t}) for t in types])
    if types == "null":
        return st.none()
    if types == "boolean":
        return st.booleans()
    if types == "integer":
        return st.integers(int(schema.get("minimum", -(2**40))), int(schema.get("maximum", 2**40)))
    if types == "number":
        return st.floats(schema.get("minimum", -1e9), schema.get("maximum", 1e9), allow_nan=False)
    if types == "string":
        return st.text(max_size=20)
    if types == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=schema.get("maxItems", 4))
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    return st.fixed_dictionaries({k: from_schema(v) for k, v in props.items() if k in required},
                                 optional={k: from_schema(v) for k, v in props.items() if k not in required})


def near_miss(schema: dict[str, Any]) -> st.SearchStrategy:
    """Values just outside the schema: out of range, wrong type, unknown keys."""
    lo, hi = schema.get("minimum"), schema.get("maximum")
    edges = [v for v in (lo, hi) if v is not None]
    nums = [x for v in edges for x in (v - 1, v + 1, v - 1e-9, v + 0.5)]
    return st.sampled_from(nums + [None, "", "1e999", "NaN", True, [], {}, -1, 2**63, 1.5]) | ANY_JSON


def job_bodies(doc: dict):
    """(strategy of valid job requests, mutate(body, data) -> a near-miss of it)."""
    variants = doc["components"]["schemas"]["JobRequest"]["oneOf"]
    valid = st.one_of([from_schema(v) for v in variants])

    def mutate(body: dict, data) -> dict:
        body = dict(body)
        target = data.draw(st.sampled_from(["service", "model", "params", "wait", "param", "extra"]))
        variant = next((v for v in variants if v["properties"]["service"]["const"] == body.get("service")), variants[0])
        if target == "param":
            params = dict(body.get("params") or {})
            name, spec = data.draw(st.sampled_from(sorted(variant["properties"]["params"]["properties"].items())))
            params[name] = data.draw(near_miss(spec))
            body["params"] = params
        elif target == "extra":
            body["params"] = {**(body.get("params") or {}), data.draw(st.text(max_size=8)): data.draw(ANY_JSON)}
        else:
            body[target] = data.draw(near_miss(variant["properties"].get(target, {})))
        return body

    return valid, mutate


def check(response, where: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code != 500, f"{where}: 500 {body[:300]}"
    assert response.status_code < 500 or response.status_code in (503, 507), f"{where}: {response.status_code}"
    assert "Traceback" not in body and 'File "' not in body, f"{where}: stack trace leaked: {body[:500]}"
    if response.status_code >= 400:
        error = response.get_json(silent=True)
        assert isinstance(error, dict) and isinstance(error.get("error"), str) and error["error"], \
            f"{where}: {response.status_code} without a JSON error: {body[:200]}"
    if response.status_code == 503 and not (response.get_json() or {}).get("missing"):
        assert int(response.headers["Retry-After"]) > 0


def test_openapi_document_describes_the_api(doc):
    assert doc["openapi"].startswith("3.1")
    assert {"/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/images/{image_id}"} <= set(doc["paths"])
    variants = {v["title"]: v for v in doc["components"]["schemas"]["JobRequest"]["oneOf"]}
    assert set(variants) == {"toy", "toyedit"}
    steps = variants["toy"]["properties"]["params"]["properties"]["steps"]
    assert steps == {"type": "integer", "minimum": 1, "maximum": 50, "default": 4}
    assert variants["toy"]["properties"]["params"]["properties"]["palette"]["enum"] == ["warm", "cool"]
    assert "503" in doc["paths"]["/api/v1/jobs"]["post"]["responses"]


def test_fuzz_json_job_api(fuzz_app, doc, api_headers):
    client = fuzz_app.test_client()
    valid, mutate = job_bodies(doc)

    @FUZZ
    @given(data=st.data())
    def run(data):
        kind = data.draw(st.sampled_from(["valid", "mutated", "garbage", "raw"]))
        query = data.draw(st.sampled_from(["", "?wait=0.1", "?wait=-1", "?wait=abc", "?wait=nan", "?wait=1e999"]))
        if kind == "raw":
            raw = data.draw(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
            response = client.post("/api/v1/jobs" + query, data=raw, headers=api_headers,
                                   content_type=data.draw(st.sampled_from(["application/json", "text/plain", ""])))
        else:
            body = data.draw(valid)
            if kind == "mutated":
                body = mutate(body, data)
            elif kind == "garbage":
                body = data.draw(ANY_JSON)
            response = client.post("/api/v1/jobs" + query, json=body, headers=api_headers)
        check(response, f"POST /api/v1/jobs{query}")
        if response.status_code in (200, 202):
            job = response.get_json()
            check(client.get(job["url"] + query, headers=api_headers), "GET job")

    run()


def png_bytes(size=(24, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 40, 200)).save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 24), (10, 200, 40)).save(buf, format="JPEG")
    return buf.getvalue()


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG that claims an enormous size (a decompression bomb) but carries almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def mutated(data: bytes, draw) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "insert"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    position = draw(st.integers(0, len(data) - 1))
    if how == "flip":
        return data[:position] + bytes([data[position] ^ draw(st.integers(1, 255))]) + data[position + 1:]
    return data[:position] + draw(st.binary(min_size=1, max_size=64)) + data[position:]


def test_fuzz_upload_endpoint(fuzz_app, api_headers):
    client = fuzz_app.test_client()
    files = st.sampled_from(["png", "jpeg", "random", "bomb", "svg", "empty", "mutated_png", "mutated_jpeg", "big"])

    @FUZZ
    @given(data=st.data())
    def run(data):
        kind = data.draw(files)
        payload = {
            "png": png_bytes, "jpeg": jpeg_bytes,
            "random": lambda: data.draw(st.binary(max_size=512)),
            "bomb": lambda: huge_png_header(data.draw(st.integers(1, 2**31 - 1)), data.draw(st.integers(1, 2**31 - 1))),
            "svg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "empty": lambda: b"",
            "mutated_png": lambda: mutated(png_bytes(), data.draw),
            "mutated_jpeg": lambda: mutated(jpeg_bytes(), data.draw),
            "big": lambda: b"\x89PNG" + b"\0" * (300 * 1024),  # over MAX_CONTENT_LENGTH
        }[kind]()
        form = {
            "service": data.draw(st.sampled_from(["toyedit", "toy", "", "nope"]) | st.text(max_size=10)),
            "params": data.draw(st.sampled_from(['{"steps": 1}', "{}", "", "[1]", "{bad json", "null", '{"steps": 0}'])
                                | ANY_JSON.map(json.dumps)),
            data.draw(st.sampled_from(["image", "image", "photo", ""])): (io.BytesIO(payload),
                                                                          data.draw(st.text(max_size=30))),
        }
        if data.draw(st.booleans()):
            form["model"] = data.draw(st.sampled_from(["toy-tiny", "toy-absent", "../../etc"]) | st.text(max_size=8))
        response = client.post("/api/v1/jobs", data=form, headers=api_headers, content_type="multipart/form-data")
        check(response, f"upload {kind}")

    run()


def test_fuzz_ids_and_queries(fuzz_app, api_headers):
    client = fuzz_app.test_client()
    paths = ["/api/v1/jobs/{}", "/api/v1/jobs/{}/preview", "/api/v1/images/{}", "/api/v1/images/{}/recipe",
             "/jobs/{}", "/gallery/image/{}", "/gallery/image/{}.png"]

    @FUZZ
    @given(template=st.sampled_from(paths), ident=st.text(min_size=1, max_size=40),
           query=st.dictionaries(st.sampled_from(["wait", "download", "page", "service"]), st.text(max_size=10),
                                 max_size=2))
    def run(template, ident, query):
        path = template.format(quote(ident, safe=""))
        response = client.get(path, query_string=query, headers=api_headers)
        body = response.get_data(as_text=True)
        assert response.status_code < 500, f"GET {path}: {response.status_code} {body[:300]}"
        assert "Traceback" not in body

    run()


def test_fuzz_page_job_route_with_session_and_csrf(fuzz_app):
    """The pages' own JSON route (anonymous visitors, session cookie + CSRF header) gets the same treatment."""
    client = fuzz_app.test_client()
    token = csrf_token(client, "/toy/")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=ANY_JSON | st.fixed_dictionaries({"service": st.just("toy"), "params": ANY_JSON}))
    def run(body):
        response = client.post("/jobs/", json=body, headers={"X-CSRFToken": token})
        check(response, "POST /jobs/")

    run()
