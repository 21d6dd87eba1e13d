"""t7: what an operator installs (SPEC section 8): the Debian package that
`make deb` builds, and the man page generated from the flag table.

The package holds the binary, the three units pointing at it, the conffile
/etc/default/clusterd and clusterd(8); its Depends names the libraries the
binary links; lintian finds no error; its units pass systemd-analyze verify;
its binary runs. The man page documents exactly the flags --help lists.
(Installing the package with dpkg -i in a fresh Debian chroot is a release
step, outside these tests.)
"""

import os
import re
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNITS = ("clusterd.service", "clusterd-master.service", "clusterd-agent.service")


def run(*cmd, **kw):
    return subprocess.run(cmd, cwd=kw.pop("cwd", REPO), check=True, capture_output=True,
                          text=True, **kw)


def make(*targets, timeout=900):
    """make in the repository, as a person would type it: not inside the
    `make it` that runs these tests (whose MAKEFLAGS may carry SANITIZE=)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return run("make", "--no-print-directory", "SANITIZE=", *targets, env=env, timeout=timeout)


def makefile_version():
    with open(os.path.join(REPO, "Makefile"), encoding="utf-8") as f:
        return re.search(r"^VERSION := (\S+)", f.read(), re.M).group(1)


@pytest.fixture(scope="module")
def deb():
    for tool in ("dpkg-deb", "dpkg-shlibdeps", "lintian"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: make test-deps (or make pkg-deps)", pytrace=False)
    out = make("deb")
    arch = run("dpkg", "--print-architecture").stdout.strip()
    path = os.path.join(REPO, f"clusterd_{makefile_version()}_{arch}.deb")
    assert os.path.exists(path), out.stdout[-2000:]
    assert "lintian: no errors" in out.stdout
    return path


def test_control_fields(deb):
    info = run("dpkg-deb", "--info", deb).stdout
    fields = dict(re.findall(r"^ ([A-Z][\w-]+): (.*)$", info, re.M))
    assert fields["Package"] == "clusterd"
    assert fields["Version"] == makefile_version()
    depends = fields["Depends"]
    for lib in ("libc6", "libevent-2.1-7", "libjansson4", "liblmdb0", "libcurl4"):
        assert re.search(rf"\b{re.escape(lib)} \(>= ", depends), depends


def test_contents(deb, tmp_path):
    listing = run("dpkg-deb", "--contents", deb).stdout
    for path in ("./usr/sbin/clusterd", "./etc/default/clusterd",
                 "./usr/share/man/man8/clusterd.8.gz", "./usr/share/doc/clusterd/copyright",
                 *(f"./lib/systemd/system/{u}" for u in UNITS)):
        assert re.search(rf" {re.escape(path)}$", listing, re.M), path
    ctrl = tmp_path / "ctrl"
    run("dpkg-deb", "--control", deb, str(ctrl))
    assert (ctrl / "conffiles").read_text().split() == ["/etc/default/clusterd"]
    root = tmp_path / "root"
    run("dpkg-deb", "--extract", deb, str(root))
    for u in UNITS:
        unit = (root / "lib/systemd/system" / u).read_text()
        assert "ExecStart=/usr/sbin/clusterd --" in unit
        assert "Type=notify" in unit and "WatchdogSec=" in unit
    out = run(str(root / "usr/sbin/clusterd"), "--version").stdout
    assert out.strip() == f"clusterd {makefile_version()}"


def test_lintian_clean(deb):
    r = subprocess.run(["lintian", "--fail-on", "error,warning", deb], capture_output=True,
                       text=True, check=False)
    tags = [line for line in r.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert r.returncode == 0 and not tags, r.stdout + r.stderr


def test_units_verify(deb, tmp_path):
    """The packaged units, at their installed paths, pass systemd-analyze verify
    (as .ci/run checks the source units)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    root = tmp_path / "root"
    run("dpkg-deb", "--extract", deb, str(root))
    os.makedirs(root / "usr/lib/systemd", exist_ok=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True,
                    dirs_exist_ok=True)
    r = subprocess.run(["systemd-analyze", "verify", f"--root={root}",
                        *(f"/lib/systemd/system/{u}" for u in UNITS)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr


def test_man_page_matches_help(clusterd_bin):
    make("man")
    page = os.path.join(REPO, "build", "clusterd.8")
    with open(page, encoding="utf-8") as f:
        roff = f.read()
    help_text = run(clusterd_bin, "--help").stdout
    in_help = set(re.findall(r"^  --([a-z_-]+)", help_text, re.M))
    in_man = {m.replace("\\-", "-") for m in
              re.findall(r"^\.BI? \\-\\-((?:[a-z_]|\\-)+)", roff, re.M)}
    assert in_help, help_text
    assert in_man == in_help
    # Each flag's default is in the page as well.
    for name, default in re.findall(r"^  --([a-z_-]+)\S*\s.*\[default: ([^\]]+)\]$", help_text, re.M):
        entry = roff.split("\\-\\-" + name.replace("-", "\\-"), 1)[1].split(".TP", 1)[0]
        assert default.replace("-", "\\-") in entry, (name, default)
    r = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0 and not r.stderr, r.stderr
    rendered = subprocess.run(["man", "-l", page], capture_output=True, text=True, check=True,
                              env={**os.environ, "MANWIDTH": "80"}).stdout
    assert re.search(r"clusterd\s+-\s+cluster\s+manager", rendered), rendered[:300]
