"""t4: the Mesos fetcher (SPEC section 6, issue 12 item 3).

A local HTTP server started by the test serves archives and files; the agent
downloads them into the sandbox (libcurl on the loop) before the task starts,
extracts archives (libarchive) and marks executables, for both containerizers.
0.5's plain "uris" are fetched too. A failed fetch is TASK_FAILED with a message
naming the URI; an archive entry that would leave the sandbox fails the fetch;
file:// URIs are taken only from below --allowed_host_paths.
"""

import io
import os
import stat
import tarfile
import zipfile

import pytest

from clusterd_harness import TEST_IMAGE, FileServer, wait_until

HELLO = b"#!/bin/sh\necho hello-from-fetch \"$@\"\n"


def add_file(tar, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = len(data), mode
    tar.addfile(ti, io.BytesIO(data))


@pytest.fixture
def served(tmp_path):
    """A directory of archives and files, and the server for it."""
    d = tmp_path / "www"
    d.mkdir()
    with tarfile.open(d / "pkg.tar.gz", "w:gz") as t:
        add_file(t, "pkg/bin/hello.sh", HELLO, 0o755)
        add_file(t, "pkg/README", b"readme\n")
    with tarfile.open(d / "pkg.tar.xz", "w:xz") as t:
        add_file(t, "xz/bin/hello.sh", HELLO, 0o755)
    with tarfile.open(d / "pkg.tar.bz2", "w:bz2") as t:
        add_file(t, "bz2/file", b"bzipped\n")
    with zipfile.ZipFile(d / "pkg.zip", "w") as z:
        z.writestr("zipped/file", "zipped\n")
    with tarfile.open(d / "evil.tar", "w") as t:
        add_file(t, "ok", b"fine\n")
        add_file(t, "../../escaped", b"gotcha\n")
    with tarfile.open(d / "setuid.tar", "w") as t:
        add_file(t, "su", HELLO, 0o4755)
    (d / "tool").write_bytes(HELLO)
    srv = FileServer(str(d))
    yield srv
    srv.stop()


def last_failure(cd, app_id):
    return (cd.app(app_id) or {}).get("lastTaskFailure")


def test_fetch_extract_and_run_a_process(clusterd, served):
    cd = clusterd
    app = {
        "id": "/fetched",
        "cmd": "./pkg/bin/hello.sh one && ./tool two && cat xz/bin/hello.sh bz2/file "
               "zipped/file && echo sandbox=$MESOS_SANDBOX && exec sleep 100000",
        "cpus": 0.1, "mem": 32,
        "fetch": [
            {"uri": f"{served.url}/pkg.tar.gz"},
            {"uri": f"{served.url}/tool", "executable": True},
            {"uri": f"{served.url}/pkg.tar.xz", "cache": True},
            {"uri": f"{served.url}/setuid.tar"},
        ],
        "uris": [f"{served.url}/pkg.tar.bz2", f"{served.url}/pkg.zip"],
    }
    assert cd.post("/v2/apps", json=app).status_code == 201, app
    (task,) = cd.wait_running("/fetched", 1, timeout=60)
    out = wait_until(lambda: "sandbox=" in (cd.sandbox_file(task) or "") and
                     cd.sandbox_file(task), timeout=30, what="the task's output")
    assert "hello-from-fetch one" in out, out
    assert "hello-from-fetch two" in out, out
    assert "bzipped" in out and "zipped" in out, out
    sandbox = cd.sandbox(task)
    assert f"sandbox={os.path.realpath(sandbox)}" in out or f"sandbox={sandbox}" in out, out
    # The archives stay, as Mesos leaves them; the executable is executable.
    assert os.path.exists(os.path.join(sandbox, "pkg.tar.gz"))
    assert os.stat(os.path.join(sandbox, "tool")).st_mode & 0o111
    # An archive's setuid bit is never kept.
    assert not os.stat(os.path.join(sandbox, "su")).st_mode & (stat.S_ISUID | stat.S_ISGID)
    # A cached item is kept in work_dir, keyed by its URI.
    cached = [f for f in os.listdir(os.path.join(cd.work_dir, "fetch_cache"))
              if f.endswith(".uri")]
    assert len(cached) == 1, cached


def test_fetch_into_a_container(clusterd, served):
    cd = clusterd
    app = {
        "id": "/fetchbox",
        "cmd": "$MESOS_SANDBOX/pkg/bin/hello.sh boxed && exec sleep 100000",
        "cpus": 0.1, "mem": 32,
        "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}},
        "fetch": [{"uri": f"{served.url}/pkg.tar.gz", "extract": True}],
    }
    assert cd.post("/v2/apps", json=app).status_code == 201
    (task,) = cd.wait_running("/fetchbox", 1, timeout=60)
    wait_until(lambda: "hello-from-fetch boxed" in (cd.sandbox_file(task) or ""),
               timeout=30, what="the container ran the fetched script")


def test_failed_fetch_is_task_failed_naming_the_uri(clusterd, served):
    cd = clusterd
    uri = f"{served.url}/missing.tgz"
    app = {"id": "/nofetch", "cmd": "exec sleep 100000", "cpus": 0.1, "mem": 32,
           "backoffSeconds": 60, "fetch": [{"uri": uri}]}
    assert cd.post("/v2/apps", json=app).status_code == 201
    failure = wait_until(lambda: last_failure(cd, "/nofetch"), timeout=60,
                         what="/nofetch's lastTaskFailure")
    assert failure["state"] == "TASK_FAILED", failure
    assert uri in failure["message"] and "404" in failure["message"], failure


def test_archive_escaping_the_sandbox_is_refused(clusterd, served):
    cd = clusterd
    app = {"id": "/evil", "cmd": "exec sleep 100000", "cpus": 0.1, "mem": 32,
           "backoffSeconds": 60, "fetch": [{"uri": f"{served.url}/evil.tar"}]}
    assert cd.post("/v2/apps", json=app).status_code == 201
    failure = wait_until(lambda: last_failure(cd, "/evil"), timeout=60,
                         what="/evil's lastTaskFailure")
    assert "evil.tar" in failure["message"], failure
    assert "leave the sandbox" in failure["message"], failure
    assert not glob_escaped(cd.work_dir), "an archive entry was written outside the sandbox"


def glob_escaped(work_dir):
    for root, _, files in os.walk(work_dir):
        if "escaped" in files:
            return os.path.join(root, "escaped")
    return None


def test_file_uris_only_from_allowed_host_paths(start_clusterd, tmp_path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "local.sh").write_bytes(HELLO)
    (tmp_path / "secret").write_text("do not fetch\n")
    cd = start_clusterd(f"--allowed_host_paths={allowed}")
    app = {"id": "/local", "cmd": "./local.sh from-file && exec sleep 100000",
           "cpus": 0.1, "mem": 32,
           "fetch": [{"uri": f"file://{allowed}/local.sh", "executable": True}]}
    assert cd.post("/v2/apps", json=app).status_code == 201
    (task,) = cd.wait_running("/local", 1, timeout=60)
    wait_until(lambda: "hello-from-fetch from-file" in (cd.sandbox_file(task) or ""),
               timeout=30, what="the fetched local script ran")

    app = {"id": "/steal", "cmd": "exec sleep 100000", "cpus": 0.1, "mem": 32,
           "backoffSeconds": 60, "fetch": [{"uri": f"file://{tmp_path}/secret"}]}
    assert cd.post("/v2/apps", json=app).status_code == 201
    failure = wait_until(lambda: last_failure(cd, "/steal"), timeout=60,
                         what="/steal's lastTaskFailure")
    assert "--allowed_host_paths" in failure["message"], failure
