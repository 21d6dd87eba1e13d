"""t0: start-up refuses what only looks secure (SPEC section 11, issue 10).

- Any role bound off loopback exits 1 without --agent_secret, and the message
  names --agent_secret and the opt-out --insecure; with --insecure it starts
  and warns.
- --agent_secret is a value, or a file when it starts with / or ./: a file that
  cannot be read exits 1 (the path string never becomes the secret); an empty
  secret, or a file holding only whitespace, exits 1; a file's one trailing
  newline is trimmed.
- All-in-one on loopback needs nothing.

The processes that bind 0.0.0.0 run in a network namespace of their own
(unshare --net), so nothing outside the test can reach them.
"""

import json
import os
import signal
import subprocess

import pytest
import requests

import clusterd_harness as harness


def run(clusterd_bin, tmp_path, *args, netns=False, timeout=15):
    """Run to completion (it should exit by itself); return (rc, stderr)."""
    cmd = [clusterd_bin, *args, f"--work_dir={tmp_path / 'work'}", "--registry=in_memory",
           "--http_port=0", "--master_port=0", "--agent_port=0"]
    if netns:
        cmd = ["unshare", "--net", "--"] + cmd
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           env=harness.child_env(), timeout=timeout * harness.TIMEOUT_SCALE,
                           check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"clusterd {' '.join(args)} kept running instead of refusing to start")
    err = r.stderr.decode("utf-8", "replace") + r.stdout.decode("utf-8", "replace")
    assert harness.sanitizer_report(err) is None, err
    return r.returncode, err


def secret_file(tmp_path, content, mode=0o600):
    path = tmp_path / "agent_secret"
    path.write_bytes(content)
    os.chmod(path, mode)
    return str(path)


@pytest.mark.parametrize("role", [["--master"], ["--agent", "--master=127.0.0.1:5050"],
                                  ["--all-in-one"]])
def test_off_loopback_needs_secret(clusterd_bin, tmp_path, role):
    rc, err = run(clusterd_bin, tmp_path, *role, "--ip=0.0.0.0", netns=True)
    assert rc == 1, err
    assert "--agent_secret" in err and "--insecure" in err, err
    errors = [ln for ln in err.splitlines() if ln.strip() and "warning:" not in ln]
    assert len(errors) == 1, err


def test_default_ip_of_master_is_off_loopback(clusterd_bin, tmp_path):
    """--master binds 0.0.0.0 by default: without a secret it does not start."""
    rc, err = run(clusterd_bin, tmp_path, "--master", netns=True)
    assert rc == 1, err
    assert "--agent_secret" in err, err


def test_insecure_starts_and_warns(clusterd_bin, tmp_path):
    port_file = tmp_path / "ports.json"
    log = tmp_path / "log"
    cmd = ["unshare", "--net", "--", clusterd_bin, "--master", "--ip=0.0.0.0", "--insecure",
           f"--work_dir={tmp_path / 'work'}", "--registry=in_memory", "--http_port=0",
           "--master_port=0", f"--port_file={port_file}"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=harness.child_env(), start_new_session=True)
    try:
        harness.wait_until(lambda: port_file.exists() or proc.poll() is not None,
                           what="the port file")
        assert proc.poll() is None, log.read_text()
        ports = json.loads(port_file.read_text())
        assert ports["master"] > 0
        text = log.read_text()
        warn = [ln for ln in text.splitlines() if "--insecure" in ln]
        assert warn and "WARN" in warn[0], text
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30 * harness.TIMEOUT_SCALE)
    assert proc.returncode == 0, log.read_text()


@pytest.mark.parametrize("value", ["/nonexistent/clusterd/agent_secret", "./no_such_secret_file"])
def test_unreadable_secret_file(clusterd_bin, tmp_path, value):
    rc, err = run(clusterd_bin, tmp_path, "--all-in-one", "--ip=127.0.0.1",
                  f"--agent_secret={value}")
    assert rc == 1, err
    assert "--agent_secret" in err and value in err, err


def test_secret_file_is_a_directory(clusterd_bin, tmp_path):
    rc, err = run(clusterd_bin, tmp_path, "--all-in-one", "--ip=127.0.0.1",
                  f"--agent_secret={tmp_path}")
    assert rc == 1, err
    assert "--agent_secret" in err, err


def test_empty_secret_value(clusterd_bin, tmp_path):
    rc, err = run(clusterd_bin, tmp_path, "--all-in-one", "--ip=127.0.0.1", "--agent_secret=")
    assert rc == 1, err
    assert "--agent_secret" in err and "empty" in err, err


@pytest.mark.parametrize("content", [b"", b"\n", b"  \n", b"\r\n", b"\t \n"])
def test_blank_secret_file(clusterd_bin, tmp_path, content):
    path = secret_file(tmp_path, content)
    rc, err = run(clusterd_bin, tmp_path, "--all-in-one", "--ip=127.0.0.1",
                  f"--agent_secret={path}")
    assert rc == 1, err
    assert path in err and "empty" in err, err


def test_blank_secret_in_environment(clusterd_bin, tmp_path):
    cmd = [clusterd_bin, "--all-in-one", "--ip=127.0.0.1", f"--work_dir={tmp_path / 'w'}",
           "--registry=in_memory", "--http_port=0", "--master_port=0", "--agent_port=0"]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                       env=harness.child_env({"CLUSTERD_AGENT_SECRET": "   "}),
                       timeout=15 * harness.TIMEOUT_SCALE)
    assert r.returncode == 1, r.stderr
    assert b"--agent_secret" in r.stderr, r.stderr


def test_secret_file_newline_trimmed(start_clusterd, tmp_path):
    """The secret is the file's content less its trailing newline: a message
    carrying exactly that passes the agent's guard, anything else is refused
    with 401 before its body is looked at."""
    path = secret_file(tmp_path, b"s3cret-value\n")
    cd = start_clusterd(f"--agent_secret={path}")
    url = cd.agent_url + "/internal/kill_task"
    body = b"this is not JSON"
    r = requests.post(url, data=body, headers={"Clusterd-Agent-Secret": "s3cret-value"},
                      timeout=10)
    assert r.status_code == 400, r.text  # past the guard: the body is bad
    for wrong in ("s3cret-valu", "S3cret-value", "s3cret-valuex", "/" + path.lstrip("/")):
        r = requests.post(url, data=body, headers={"Clusterd-Agent-Secret": wrong}, timeout=10)
        assert r.status_code == 401, (wrong, r.text)
        assert r.json()["message"], r.text


def test_loopback_all_in_one_needs_nothing(start_clusterd):
    cd = start_clusterd()
    assert cd.get("/ping").text.strip() == "pong"
    assert "--insecure" not in cd.log_text()


def test_tls_flags_go_together(clusterd_bin, tmp_path):
    rc, err = run(clusterd_bin, tmp_path, "--all-in-one", "--ip=127.0.0.1",
                  "--ssl_cert=/nonexistent.pem")
    assert rc == 1, err
    assert "--ssl_key" in err, err
    rc, err = run(clusterd_bin, tmp_path, "--all-in-one", "--ip=127.0.0.1",
                  "--ssl_ca=/nonexistent.pem")
    assert rc == 1, err
    assert "--ssl_cert" in err, err
