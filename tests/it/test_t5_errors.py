"""t5: errors of the Marathon API under bad input (SPEC sections 5 and 10).

Errors are {"message": "...", "details": [{"path": "/field", "errors": [...]}]}:
400 for malformed input, 422 for invalid input, 404 for unknown ids. After each
bad request the server still answers /ping, and nothing partial is stored.
The tests share one clusterd; the last one checks that nothing was stored.
"""

import socket

import pytest

HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
def cd(module_clusterd):
    yield module_clusterd
    r = module_clusterd.get("/ping", timeout=10)
    assert r.text.strip() == "pong", "clusterd stopped answering /ping after the bad request"


def post_app(cd, body):
    if isinstance(body, str):
        body = body.encode()
    return cd.post("/v2/apps", data=body, headers=HEADERS)


def error_body(r):
    body = r.json()
    assert isinstance(body.get("message"), str) and body["message"], r.text
    return body


def test_malformed_json_400(cd):
    r = post_app(cd, '{"id": "broken", "cmd": "sleep 1",')
    assert r.status_code == 400, r.text
    body = error_body(r)
    assert isinstance(body.get("details"), list), r.text


def test_bad_id_422(cd):
    r = post_app(cd, '{"id": "bad id!", "cmd": "sleep 1"}')
    assert r.status_code == 422, r.text
    details = error_body(r).get("details")
    assert isinstance(details, list) and details, r.text
    paths = [d.get("path") for d in details]
    assert any(p and "id" in p for p in paths), f"no details[].path names the id: {r.text}"
    for d in details:
        assert isinstance(d.get("errors"), list), r.text


def test_non_numeric_instances_422(cd):
    r = post_app(cd, '{"id": "abcinstances", "cmd": "sleep 1", "instances": "abc"}')
    assert r.status_code == 422, r.text
    error_body(r)


def test_negative_cpus_422(cd):
    r = post_app(cd, '{"id": "negcpus", "cmd": "sleep 1", "cpus": -1}')
    assert r.status_code == 422, r.text
    error_body(r)


def test_oversize_body_413(cd):
    """A body over 1 MiB is refused before it is parsed."""
    filler = "x" * (2 * 1024 * 1024)
    body = ('{"id": "big", "cmd": "' + filler + '"}').encode()
    head = (f"POST /v2/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    port = cd.ports["http"]
    status = None
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        try:
            s.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        try:
            reply = s.recv(4096)
            if reply.startswith(b"HTTP/1."):
                status = int(reply.split()[1])
        except ConnectionResetError:
            # Closing with unread data makes the kernel reset the connection, which can
            # discard an answer already sent; the fixture still checks the server is up.
            status = "reset"
    assert status in (413, 400, "reset"), status


def test_unknown_app_404(cd):
    r = cd.get("/v2/apps/no-such-app")
    assert r.status_code == 404, r.text
    error_body(r)
    r = cd.get("/v2/apps/no-such-app/tasks")
    assert r.status_code == 404, r.text
    error_body(r)


def test_deep_nesting_400(cd):
    r = post_app(cd, "[" * 10000 + "]" * 10000)
    assert r.status_code == 400, r.text
    error_body(r)
    r = post_app(cd, '{"id": "deep", "cmd": "sleep 1", "labels": ' + '{"a": ' * 10000 + "1"
                 + "}" * 10000 + "}")
    assert r.status_code in (400, 422), r.text
    error_body(r)


def test_invalid_utf8_400(cd):
    r = post_app(cd, b'{"id": "utf\xff\xfe", "cmd": "sleep 1"}')
    assert r.status_code == 400, r.text
    error_body(r)


def test_nothing_partial_stored(cd):
    r = cd.get("/v2/apps")
    assert r.status_code == 200, r.text
    assert r.json()["apps"] == [], r.text
    r = cd.get("/v2/tasks")
    assert r.status_code == 200, r.text
    assert r.json()["tasks"] == [], r.text
