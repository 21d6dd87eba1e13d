"""t7: the web UI's HTTP side, as a browser or a proxy sees it (SPEC section 8).

GET / redirects to the UI as Marathon did; the files come gzip-compressed
when the client accepts it and as they are otherwise, with ETags that answer
304, and cache headers that let the versioned files be kept for good; the
master's state is relayed on the API port; basic auth covers the UI too.
"""

import gzip
import os
import re
import subprocess

import requests

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def assets(base):
    """The versioned URLs index.html names (scripts, styles, icon)."""
    html = requests.get(base + "/ui/", timeout=10).text
    found = sorted(set(re.findall(r'(?:src|href)="(v/[0-9a-f]+/[^"]+)"', html)))
    assert found, html
    return found


def test_root_redirects_to_ui(module_clusterd):
    r = module_clusterd.get("/", allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == "ui/"
    r = module_clusterd.get("/ui", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "ui/"
    r = module_clusterd.get("/")
    assert r.status_code == 200
    assert r.url == module_clusterd.url + "/ui/"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>clusterd</title>" in r.text
    # The page runs nothing inline and loads nothing from elsewhere.
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp


def test_gzip_when_accepted_identity_otherwise(module_clusterd):
    url = module_clusterd.url + "/ui/"
    gz = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    raw_gz = gz.raw.read()
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gz.headers["Vary"] == "Accept-Encoding"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(raw_gz) == plain.content
    assert len(raw_gz) < len(plain.content)
    # q=0 refuses an encoding; "*" accepts any.
    r = requests.get(url, headers={"Accept-Encoding": "gzip;q=0, deflate"}, timeout=10)
    assert "Content-Encoding" not in r.headers
    r = requests.get(url, headers={"Accept-Encoding": "br, *"}, stream=True, timeout=10)
    assert r.headers.get("Content-Encoding") == "gzip"
    for path in assets(module_clusterd.url):
        r = requests.get(module_clusterd.url + "/ui/" + path, headers={"Accept-Encoding": "gzip"},
                         timeout=10)
        assert r.status_code == 200, path
        assert r.headers["Content-Encoding"] == "gzip", path


def test_etag_and_304(module_clusterd):
    url = module_clusterd.url + "/ui/"
    for enc in ("gzip", "identity"):
        r = requests.get(url, headers={"Accept-Encoding": enc}, timeout=10)
        etag = r.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]+(-gz)?"', etag), etag
        assert r.headers["Cache-Control"] == "no-cache"
        again = requests.get(url, headers={"Accept-Encoding": enc, "If-None-Match": etag}, timeout=10)
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["ETag"] == etag
        weak = requests.get(url, headers={"Accept-Encoding": enc,
                                          "If-None-Match": '"nope", W/' + etag}, timeout=10)
        assert weak.status_code == 304
        other = requests.get(url, headers={"Accept-Encoding": enc, "If-None-Match": '"nope"'},
                             timeout=10)
        assert other.status_code == 200 and other.content
    # The two representations have different tags.
    a = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=10).headers["ETag"]
    b = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10).headers["ETag"]
    assert a != b


def test_content_types_and_cache(module_clusterd):
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
             ".svg": "image/svg+xml"}
    paths = assets(module_clusterd.url)
    for path in paths:
        r = requests.get(module_clusterd.url + "/ui/" + path, timeout=10)
        assert r.headers["Content-Type"] == types[os.path.splitext(path)[1]], path
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable", path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    # Another version (a page loaded before an upgrade) gets today's file,
    # revalidated every time.
    main = next(p for p in paths if p.endswith("js/main.js"))
    stale = re.sub(r"^v/[0-9a-f]+/", "v/0123456789ab/", main)
    r = requests.get(module_clusterd.url + "/ui/" + stale, timeout=10)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-cache"
    assert r.content == requests.get(module_clusterd.url + "/ui/" + main, timeout=10).content
    # Unknown files: Marathon's error body.
    r = requests.get(module_clusterd.url + "/ui/nope.js", timeout=10)
    assert r.status_code == 404
    assert r.json()["message"]
    r = requests.get(module_clusterd.url + "/ui/v/x/../../index.html", timeout=10)
    assert r.status_code in (200, 404)  # normalised by the client or refused; never outside ui/www
    r = requests.head(module_clusterd.url + "/ui/", timeout=10)
    assert r.status_code == 200 and r.content == b""


def test_master_state_relay(module_clusterd):
    r = module_clusterd.get("/ui/api/master/state")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    state = r.json()
    direct = module_clusterd.get("/master/state", base=module_clusterd.master_url).json()
    assert state["id"] == direct["id"]
    assert [s["id"] for s in state["slaves"]] == [s["id"] for s in direct["slaves"]]
    assert state["slaves"][0]["active"] is True
    assert module_clusterd.post("/ui/api/master/state").status_code == 405


def test_ui_behind_basic_auth(start_clusterd):
    c = start_clusterd("--http_credentials=ops:secret", start=False)
    c.session.auth = ("ops", "secret")  # the harness waits for /ping, which asks too
    c.start()
    assert requests.get(c.url + "/ui/", timeout=10).status_code == 401
    assert requests.get(c.url + "/ui/api/master/state", timeout=10).status_code == 401
    auth = ("ops", "secret")
    assert requests.get(c.url + "/ui/", auth=auth, timeout=10).status_code == 200
    r = requests.get(c.url + "/ui/api/master/state", auth=auth, timeout=10)
    assert r.status_code == 200 and r.json()["slaves"]


def test_assets_within_budget():
    """The whole UI, as served (gzip), stays under 200 KiB; embed.sh fails the
    build past it, and this prints what it is now."""
    out = subprocess.run(["sh", "tools/embed.sh", "ui/www", "-"], cwd=REPO, check=True,
                         capture_output=True, text=True).stderr
    m = re.search(r"(\d+) bytes served compressed", out)
    assert m, out
    print(f"\nweb UI: {out.strip()}")
    assert int(m.group(1)) < 200 * 1024
