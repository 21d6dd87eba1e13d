"""t0: start-up and flags (SPEC section 1).

An unknown flag or a bad value is an error at start-up: exit 1 with one line on
stderr that names the flag. --help and --version exit 0. SIGTERM exits 0.
"""

import subprocess

import clusterd_harness as harness


def run(clusterd_bin, tmp_path, *args, env=None, timeout=30):
    """Run the binary to completion with a private work_dir; return the CompletedProcess."""
    cmd = [clusterd_bin, *args]
    if not any(a.startswith("--work_dir") for a in args):
        cmd.append(f"--work_dir={tmp_path / 'work'}")
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       env=harness.child_env(env), timeout=timeout * harness.TIMEOUT_SCALE,
                       check=False)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    assert harness.sanitizer_report(out + err) is None, out + err
    return r.returncode, out, err


def lines(text):
    return [ln for ln in text.splitlines() if ln.strip()]


def test_help_lists_flags(clusterd_bin, tmp_path):
    rc, out, err = run(clusterd_bin, tmp_path, "--help")
    assert rc == 0, err
    for flag in ("--work_dir", "--http_port", "--master_port", "--agent_port", "--docker_socket",
                 "--resources", "--log_level"):
        assert flag in out, f"{flag} missing from --help:\n{out}"


def test_version(clusterd_bin, tmp_path):
    rc, out, err = run(clusterd_bin, tmp_path, "--version")
    assert rc == 0, err
    assert (out + err).strip(), "--version printed nothing"


def test_unknown_flag(clusterd_bin, tmp_path):
    rc, _, err = run(clusterd_bin, tmp_path, "--all-in-one", "--no_such_flag=1")
    assert rc == 1
    assert len(lines(err)) == 1, f"expected one line on stderr, got:\n{err}"
    assert "no_such_flag" in err


def test_bad_value(clusterd_bin, tmp_path):
    rc, _, err = run(clusterd_bin, tmp_path, "--all-in-one", "--master_port=abc")
    assert rc == 1
    assert len(lines(err)) == 1, f"expected one line on stderr, got:\n{err}"
    assert "master_port" in err


def test_bad_value_space_form(clusterd_bin, tmp_path):
    rc, _, err = run(clusterd_bin, tmp_path, "--all-in-one", "--http_port", "notaport")
    assert rc == 1
    assert len(lines(err)) == 1, f"expected one line on stderr, got:\n{err}"
    assert "http_port" in err


def test_role_from_environment(clusterd_bin, tmp_path):
    """CLUSTERD_ALL_IN_ONE (a name an EnvironmentFile can hold: '-' becomes '_')
    picks the role, as --all-in-one does: the role's ports are all written."""
    c = harness.Clusterd(clusterd_bin, tmp_path / "w", args=["--containerizers=mesos"],
                         env={"CLUSTERD_ALL_IN_ONE": "true"})
    # The harness waits for all-in-one's ports; the role itself comes from the environment.
    c.command = lambda: [a for a in harness.Clusterd.command(c) if a != "--all-in-one"]
    c.start()
    try:
        assert {"http", "master", "agent"} <= set(c.ports)
        assert c.get("/ping").text.strip() == "pong"
    finally:
        c.stop()


def test_bad_value_from_environment(clusterd_bin, tmp_path):
    rc, _, err = run(clusterd_bin, tmp_path, "--all-in-one", env={"CLUSTERD_LOG_LEVEL": "bogus"})
    assert rc == 1
    assert len(lines(err)) == 1, f"expected one line on stderr, got:\n{err}"
    assert "log_level" in err.lower()


def test_bad_resources(clusterd_bin, tmp_path):
    rc, _, err = run(clusterd_bin, tmp_path, "--all-in-one", "--resources=cpus:lots")
    assert rc == 1
    assert "resources" in err


def test_sigterm_exits_zero(clusterd):
    assert clusterd.get("/ping").text.strip() == "pong"
    assert clusterd.get("/health", base=clusterd.agent_url).status_code == 200
    assert clusterd.get("/master/health", base=clusterd.master_url).status_code == 200
    clusterd.stop()  # asserts exit code 0


def test_flags_from_environment(start_clusterd):
    """CLUSTERD_<FLAG> is read: the hostname comes from the environment."""
    cd = start_clusterd(env={"CLUSTERD_HOSTNAME": "cd-env-host"})
    state = cd.get("/state", base=cd.agent_url).json()
    assert state.get("hostname") == "cd-env-host", state


def test_bad_master_address(clusterd_bin, tmp_path):
    """An agent's --master: HOST[:PORT] or file:// holding that; anything else
    (and zk:// until the agent detects leaders) is one line naming --master."""
    for value in ("host:", "host:99999", "a:b:c", "http://host:5050", "zk://h:2181/mesos",
                  f"file://{tmp_path / 'missing'}"):
        rc, _, err = run(clusterd_bin, tmp_path, "--agent", f"--master={value}")
        assert rc == 1, f"--master={value} was accepted"
        assert len(lines(err)) == 1, f"expected one line on stderr, got:\n{err}"
        assert "--master" in err, err
    (tmp_path / "nested").write_text("file:///etc/hostname\n")
    rc, _, err = run(clusterd_bin, tmp_path, "--agent", f"--master=file://{tmp_path / 'nested'}")
    assert rc == 1 and "--master" in err, err
