"""t9, issue 10: the README's Security recipe, followed to the letter, gives a
cluster where nothing on 5050, 5051 or 8080 answers a stranger except the
documented health endpoints.

The test runs the README's own `<!-- recipe:NAME -->` shell blocks (with
/etc/clusterd and /etc/default/clusterd moved under the test's directory):
the CA machine's block once, the certificate block for each node, the install
block on each node (and the agent's line on the agent), then starts each node
with the flags the recipe wrote (/etc/default/clusterd as its environment,
/etc/clusterd through CLUSTERD_CONFIG_DIR) in a network namespace of its own: a --master,
an --agent of that master, and an --all-in-one. With the credentials the
recipe made, an app runs on the agent: the cluster works. Then a stranger, a
separate process on a node of its own, tries every route of every route table
in the source on every port of the three nodes, with every method the route
takes, without credentials or secret (ignoring the certificate, since it
lacks the CA): each answers 401, except /ping on the API port, /master/health
and /health on the master port and /health on the agent port. Plain HTTP gets
no answer, and a client trusting another CA refuses the servers.
"""

import json
import os
import re
import subprocess

import pytest

import clusterd_harness as harness
import netns_harness
import stranger
from clusterd_harness import wait_until

pytestmark = pytest.mark.skipif(not netns_harness.available(), reason="needs root and ip netns")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METHODS = {"HTTPD_GET": "GET", "HTTPD_POST": "POST", "HTTPD_PUT": "PUT",
           "HTTPD_DELETE": "DELETE", "HTTPD_PATCH": "PATCH", "HTTPD_HEAD": "HEAD",
           "HTTPD_OPTIONS": "OPTIONS"}
# What the README says is open, per port role.
OPEN = {"http": {"/ping"}, "master": {"/master/health", "/health"}, "agent": {"/health"}}
PORTS = {"http": 8080, "master": 5050, "agent": 5051}


def recipe_blocks():
    """{name: shell text} of the README's Security recipe blocks."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    sec = text[text.index("## Security\n"):]
    sec = sec[:sec.index("\n## ", 1)]
    blocks = {}
    for m in re.finditer(r"<!-- recipe:([\w-]+) -->\s*\n\s*```sh\n(.*?)\n\s*```", sec, re.S):
        lines = m.group(2).split("\n")
        indent = min(len(ln) - len(ln.lstrip()) for ln in lines if ln.strip())
        blocks[m.group(1)] = "\n".join(ln[indent:] for ln in lines) + "\n"
    assert set(blocks) == {"ca", "node-cert", "node-install", "agent"}, blocks.keys()
    return blocks


def run_block(text, cwd, env, root=None):
    """Run a recipe block with bash -e; /etc/ paths moved under root."""
    if root is not None:
        text = (text.replace("/etc/default/clusterd", f"{root}/etc/default/clusterd")
                .replace("/etc/clusterd", f"{root}/etc/clusterd"))
    r = subprocess.run(["bash", "-euc", text], cwd=cwd, env={**os.environ, **env},
                       capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 0, f"recipe block failed:\n{text}\n{r.stderr}"


def route_table():
    """[(pattern, [methods])] of every route table in the sources."""
    routes = []
    for d in ("master", "agent", "scheduler", "ui", "cmd"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, d)):
            for name in files:
                if not name.endswith(".c"):
                    continue
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    src = f.read()
                for m in re.finditer(r"\{\s*((?:HTTPD_[A-Z]+\s*\|?\s*)+),\s*\"(/[^\"]*)\"", src):
                    methods = [METHODS[x.strip()] for x in m.group(1).split("|")]
                    routes.append((m.group(2), methods))
    assert len(routes) > 60, routes  # the tables were found
    return routes


def concrete(pattern):
    """A path that the pattern matches."""
    segs = []
    for seg in pattern.split("/")[1:]:
        if seg.startswith(":"):
            segs.append("x")
        elif seg.startswith("*"):
            segs.append("x/y")
        else:
            segs.append(seg)
    return "/" + "/".join(segs)


class RecipeNode(harness.Clusterd):
    """A node started with what the recipe wrote: its environment file, its
    /etc/clusterd, on the default ports of its own namespace."""

    def __init__(self, binary, work_dir, node, role, root, extra=()):
        super().__init__(binary, work_dir, role=role)
        self.node = node
        self.root = root
        self.extra = list(extra)
        self.env = read_default(os.path.join(root, "etc/default/clusterd"))
        # Where /etc/clusterd moved (the --config_dir flag is not read
        # before the files it names: the environment variable is).
        self.env["CLUSTERD_CONFIG_DIR"] = os.path.join(root, "etc/clusterd")
        self.scheme = "https"
        self.verify = os.path.join(root, "etc/clusterd/ca.pem")
        with open(os.path.join(root, "etc/clusterd/http_credentials"), encoding="utf-8") as f:
            self.session.auth = tuple(f.read().strip().split(":", 1))

    def command(self):
        return netns_harness.ns_cmd(
            self.node.ns, self.binary, self.role, f"--work_dir={self.work_dir}", f"--port_file={self.port_file}",
            "--log_level=debug", *self.extra)

    def _base(self, key):
        return f"https://{self.node.addr}:{self.ports[key]}"

    def api(self, path, method="GET", base=None, timeout=30, **kw):
        return self.node.run(harness.Clusterd.api, self, path, method, base, timeout, **kw)


def read_default(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                k, _, v = line.partition("=")
                env[k] = v
    return env


@pytest.fixture
def recipe(request, clusterd_bin, tmp_path):
    net = netns_harness.Network(["master", "a0", "aio", "x"]).create()
    nodes = []
    request.node._clusterd_instances = nodes  # pylint: disable=protected-access
    try:
        yield net, nodes, tmp_path, clusterd_bin
    finally:
        errors = harness.stop_all(nodes)
        net.destroy()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


def test_readme_recipe_leaves_strangers_only_health(recipe):
    net, nodes, tmp, binary = recipe
    blocks = recipe_blocks()
    ca_machine = tmp / "ca-machine"
    ca_machine.mkdir()
    run_block(blocks["ca"], ca_machine, {})
    ca_dir = ca_machine / "clusterd-ca"
    master_ip = net["master"].addr
    roots = {}
    for name in ("master", "a0", "aio"):
        ip = net[name].addr
        run_block(blocks["node-cert"], ca_dir, {"NODE_IP": ip})
        # What the operator copies to the node: never ca.key.
        stage = tmp / f"{name}-copies"
        stage.mkdir()
        for f in ("agent_secret", "http_credentials", "ca.pem", f"{ip}.pem", f"{ip}.key"):
            (stage / f).write_bytes((ca_dir / f).read_bytes())
        root = tmp / f"{name}-root"
        (root / "etc/default").mkdir(parents=True)
        run_block(blocks["node-install"], stage, {"NODE_IP": ip}, root=root)
        if name == "a0":
            run_block(blocks["agent"], stage, {"MASTER_IP": master_ip}, root=root)
        assert oct(os.stat(root / "etc/clusterd/agent_secret").st_mode & 0o777) == "0o600"
        roots[name] = str(root)

    def start(name, role, *extra):
        n = RecipeNode(binary, tmp / f"{name}-work", net[name], role, roots[name], extra)
        nodes.append(n)
        return n.start()

    master = start("master", "--master")
    agent = start("a0", "--agent", "--containerizers=mesos",
                  f"--resources={netns_harness.DEFAULT_AGENT_RESOURCES}")
    aio = start("aio", "--all-in-one", "--containerizers=mesos",
                f"--resources={netns_harness.DEFAULT_AGENT_RESOURCES}")
    for m in (master, aio):
        def registered(m=m):
            slaves = m.get("/master/slaves", base=m.master_url, timeout=10).json()["slaves"]
            return len(slaves) == 1 and slaves[0]["active"]
        wait_until(registered, timeout=60, what="the agent to register over TLS with the secret")
    r = master.post("/v2/apps", json={"id": "recipe", "cmd": "sleep 100000", "cpus": 0.1,
                                      "mem": 16, "instances": 1})
    assert r.status_code == 201, r.text
    (task,) = master.wait_running("/recipe", 1, timeout=60)
    assert task["slaveId"] == agent.get("/state", base=agent.agent_url).json()["id"]

    # The stranger: every route on every port of every node.
    targets = [(master, "http"), (master, "master"), (agent, "agent"),
               (aio, "http"), (aio, "master"), (aio, "agent")]
    routes = route_table()
    reqs, want = [], []
    for node, role in targets:
        base = f"https://{node.node.addr}:{PORTS[role]}"
        assert node.ports[role] == PORTS[role]
        for pattern, methods in routes:
            path = concrete(pattern)
            for method in methods:
                body = json.dumps({"protocol": 1}) if method in ("POST", "PUT", "PATCH") else None
                reqs.append({"method": method, "url": base + path, "verify": False,
                             "body": body, "headers": {"Content-Type": "application/json"}})
                want.append(200 if pattern in OPEN[role] else 401)
        # a guessed secret does not open /internal/
        reqs.append({"method": "POST", "url": base + "/internal/run_task", "verify": False,
                     "headers": {"Clusterd-Agent-Secret": "guess"}, "body": "{}"})
        want.append(401)
    got = stranger.attack(reqs, ns=net["x"].ns, timeout=600)
    wrong = [(q["method"], q["url"], w, g["status"], g["error"])
             for q, w, g in zip(reqs, want, got) if g["status"] != w]
    assert not wrong, wrong[:20]
    for q, g in zip(reqs, got):
        if g["status"] == 401 and q["method"] != "HEAD":
            assert json.loads(g["body"])["message"], (q["url"], g)

    # Plain HTTP gets no answer; a client trusting another CA refuses the server.
    other = tmp / "other-ca"
    other.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "o.key", "-out", "o.pem",
                    "-days", "1", "-subj", "/CN=other"], cwd=other, check=True,
                   capture_output=True)
    probes = []
    for node, role in targets:
        hp = f"{node.node.addr}:{PORTS[role]}"
        health = sorted(OPEN[role])[0]
        probes.append({"method": "GET", "url": f"http://{hp}{health}"})
        probes.append({"method": "GET", "url": f"https://{hp}{health}",
                       "verify": str(other / "o.pem")})
    got = stranger.attack(probes, ns=net["x"].ns)
    for q, g in zip(probes, got):
        assert g["status"] is None and g["error"] in ("ConnectionError", "SSLError"), (q, g)
        if "verify" in q:
            assert g["error"] == "SSLError", (q, g)
