"""t3: TLS on all three ports and on agent<->master traffic (SPEC section 11).

The test makes its own CA and certificates with the openssl CLI (a SAN for
127.0.0.1), and a second, unrelated CA. With --ssl_cert, --ssl_key and --ssl_ca:
- every port answers HTTPS to a client that trusts the CA;
- plain HTTP to those ports gets no answer, and a client trusting another CA
  refuses the server;
- an all-in-one still launches a task: the agent registered with the master and
  received the task over TLS, since the ports speak nothing else;
- a separate master and agent work the same way, and an agent that does not
  trust the master's CA never registers;
- the URLs clusterd shows (Location, /v2/info, registration logs) say https://.
Bad certificate files stop the start-up with exit 1.
"""

import subprocess

import pytest
import requests

import clusterd_harness as harness
from clusterd_harness import wait_until


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", f"/CN={name}", cwd=d)
    return d / f"{name}.pem"


def make_cert(d, ca, name):
    (d / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
            cwd=d)
    return d / f"{name}.pem", d / f"{name}.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca(d, "ca")
    cert, key = make_cert(d, "ca", "node")
    other_ca = make_ca(d, "other")
    other_cert, other_key = make_cert(d, "other", "stranger")
    return {"ca": str(ca), "cert": str(cert), "key": str(key), "other_ca": str(other_ca),
            "other_cert": str(other_cert), "other_key": str(other_key)}


def tls_args(pki, ca=None):
    return [f"--ssl_cert={pki['cert']}", f"--ssl_key={pki['key']}",
            f"--ssl_ca={ca or pki['ca']}"]


def test_all_ports_https_and_task_runs(start_clusterd, pki):
    cd = start_clusterd(*tls_args(pki))
    assert cd.url.startswith("https://")
    for base, path in [(cd.url, "/ping"), (cd.master_url, "/master/health"),
                       (cd.agent_url, "/health"), (cd.master_url, "/master/state")]:
        r = requests.get(base + path, verify=pki["ca"], timeout=10)
        assert r.status_code == 200, (base, path, r.text)
        # plain HTTP to a TLS port: no answer
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(base.replace("https://", "http://") + path, timeout=10)
        # a client that trusts another CA refuses the server
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(base + path, verify=pki["other_ca"], timeout=10)
    r = cd.post("/v2/apps", json={"id": "overtls", "cmd": "sleep 100000", "cpus": 0.1,
                                  "mem": 32, "instances": 1})
    assert r.status_code == 201, r.text
    cd.wait_running("/overtls", 1, timeout=60)
    state = requests.get(cd.master_url + "/master/state", verify=pki["ca"], timeout=10).json()
    assert len(state["slaves"]) == 1, state


def test_urls_shown_say_https(start_clusterd, pki):
    """What clusterd hands out as URLs names the scheme it serves: an app's
    Location, /v2/info's web UI and Mesos UI, and the registration logs of
    agent and master."""
    cd = start_clusterd(*tls_args(pki), "--containerizers=mesos")
    http, master, agent = (cd.ports[k] for k in ("http", "master", "agent"))
    r = cd.post("/v2/apps", json={"id": "/tls/where", "cmd": "sleep 1", "instances": 0})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"https://127.0.0.1:{http}/v2/apps/tls/where", r.headers
    info = cd.get("/v2/info").json()
    conf = info["marathon_config"]
    assert conf["webui_url"] == f"https://127.0.0.1:{http}", conf
    assert conf["mesos_leader_ui_url"] == f"https://127.0.0.1:{master}/", conf
    assert info["http_config"]["https_port"] == http, info["http_config"]
    wait_until(lambda: f"at https://127.0.0.1:{agent}) registered" in cd.log_text(),
               timeout=30, what="the master's log of the agent's registration")
    assert f"at https://127.0.0.1:{master} as agent" in cd.log_text()
    assert "http://" not in cd.log_text(), \
        [ln for ln in cd.log_text().splitlines() if "http://" in ln]


def test_curl_with_the_ca(start_clusterd, pki):
    cd = start_clusterd(*tls_args(pki))
    out = subprocess.run(["curl", "-sS", "--cacert", pki["ca"], cd.url + "/ping"],
                         capture_output=True, check=False, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == b"pong", out
    out = subprocess.run(["curl", "-sS", "--cacert", pki["other_ca"], cd.url + "/ping"],
                         capture_output=True, check=False, timeout=30)
    assert out.returncode != 0, out


def test_master_and_agent_over_tls(start_clusterd, pki):
    master = start_clusterd(*tls_args(pki), "--agent_secret=tls-secret", role="--master")
    agent = start_clusterd(*tls_args(pki), "--agent_secret=tls-secret",
                           f"--master=127.0.0.1:{master.ports['master']}",
                           "--containerizers=mesos", role="--agent")

    def registered():
        st = master.get("/master/state", base=master.master_url, timeout=5).json()
        return len(st["slaves"]) == 1
    wait_until(registered, timeout=60, what="the agent to register over TLS")
    r = master.post("/v2/apps", json={"id": "split", "cmd": "sleep 100000", "cpus": 0.1,
                                      "mem": 32, "instances": 1})
    assert r.status_code == 201, r.text
    master.wait_running("/split", 1, timeout=60)
    assert agent.running


def test_agent_refuses_untrusted_master(start_clusterd, pki):
    """The agent verifies the master's certificate against its --ssl_ca: with
    another CA it never registers (verification is never turned off)."""
    master = start_clusterd(*tls_args(pki), "--agent_secret=tls-secret", role="--master")
    agent = start_clusterd(*tls_args(pki, ca=pki["other_ca"]), "--agent_secret=tls-secret",
                           f"--master=127.0.0.1:{master.ports['master']}",
                           "--containerizers=mesos", role="--agent")
    wait_until(lambda: "certificate" in agent.log_text().lower(), timeout=60,
               what="the agent to log the certificate failure")
    st = master.get("/master/state", base=master.master_url, timeout=5).json()
    assert st["slaves"] == [], st


@pytest.mark.parametrize("which", ["cert", "key", "ca"])
def test_bad_tls_files_exit_1(clusterd_bin, tmp_path, pki, which):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a PEM file\n")
    files = {"cert": pki["cert"], "key": pki["key"], "ca": pki["ca"]}
    files[which] = str(bad)
    if which == "key":
        files["key"] = pki["other_key"]  # a real key, not the certificate's
    cmd = [clusterd_bin, "--all-in-one", "--ip=127.0.0.1", f"--work_dir={tmp_path / 'w'}",
           "--registry=in_memory", "--http_port=0", "--master_port=0", "--agent_port=0",
           f"--ssl_cert={files['cert']}", f"--ssl_key={files['key']}", f"--ssl_ca={files['ca']}"]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                       env=harness.child_env(), timeout=30 * harness.TIMEOUT_SCALE)
    err = r.stderr.decode() + r.stdout.decode()
    assert r.returncode == 1, err
    assert f"--ssl_{which}" in err, err
    # the file's problem, not an unknown flag
    assert "cannot load" in err or "does not match" in err, err
