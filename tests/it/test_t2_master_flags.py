"""t2: /master/state "flags" (SPEC section 2, issue 13).

Mesos' master shows the flags it runs with as {"flag_name": "value"}, every value a
string. clusterd shows every flag of its table as this process runs with it (command
line, environment, defaults resolved), and never a secret: --agent_secret's value and
--http_credentials' password are redacted, in the JSON and anywhere in the body.
"""

import os

from clusterd_harness import wait_until

SECRET = "s3cret-agent-token-42"
PASSWORD = "pa55-w0rd-99"


def test_flags_are_the_real_values_with_secrets_redacted(start_clusterd, tmp_path):
    secret_file = tmp_path / "agent.secret"
    secret_file.write_text(SECRET + "\n")
    cd = start_clusterd(f"--agent_secret={secret_file}",
                        f"--http_credentials=ops:{PASSWORD}", "--refuse_seconds=7secs",
                        "--max_event_streams=42", "--cgroups_enable_cfs", start=False,
                        env={"CLUSTERD_ORPHAN_TASK_GRACE": "90secs"})
    cd.session.auth = ("ops", PASSWORD)
    cd.start()
    r = cd.get("/master/state", base=cd.master_url)
    assert r.status_code == 200, r.text
    flags = r.json()["flags"]
    assert flags and all(isinstance(v, str) for v in flags.values()), flags

    # as given, from the command line and from the environment
    assert flags["all-in-one"] == "true"
    assert flags["refuse_seconds"] == "7secs"
    assert flags["max_event_streams"] == "42"
    assert flags["cgroups_enable_cfs"] == "true"
    assert flags["orphan_task_grace"] == "90secs"
    assert flags["log_level"] == "debug"
    assert flags["ip"] == "127.0.0.1"
    assert os.path.realpath(flags["work_dir"]) == os.path.realpath(cd.work_dir)
    assert flags["resources"] == cd.resources
    # defaults, in Mesos' duration style
    assert flags["allocation_interval"] == "1secs"
    assert flags["agent_reregister_timeout"] == "10mins"
    assert flags["hostname"] and flags["advertise_ip"] == "127.0.0.1"
    # secrets: redacted, and nowhere in the answer
    assert flags["agent_secret"] == "<redacted>"
    assert flags["http_credentials"] == "ops:<redacted>"
    assert SECRET not in r.text and PASSWORD not in r.text
    assert str(secret_file) not in r.text
    # unset optional flags are left out, as Mesos leaves out unset options
    assert "zk" not in flags and "ssl_cert" not in flags

    # the aliases show the same
    for path in ("/master/state.json", "/state"):
        assert cd.get(path, base=cd.master_url).json()["flags"] == flags
    # and so does the API port's relay for the web UI
    wait_until(lambda: cd.get("/ui/api/master/state").json()["flags"] == flags, timeout=10,
               what="the UI relay's flags")
