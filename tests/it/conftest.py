"""pytest fixtures for clusterd's integration tests.

- clusterd_bin      (session) absolute path of the binary: $CLUSTERD_BIN or ./clusterd
- dockerd           (session) a private, real dockerd with busybox:local and
                    libmesos/ubuntu imported; a DockerDaemon (see clusterd_harness)
- start_clusterd    (function) factory: start_clusterd(*extra_args, role=, resources=, env=)
                    returns a started Clusterd; everything it started is stopped at
                    teardown, its containers removed, its log checked for sanitizer reports
- clusterd          (function) one started --all-in-one instance
- module_clusterd   (module) one instance shared by the tests of a module
- bridged           (session) a network namespace with a dockerd that has its default
                    bridge (published ports through docker-proxy, live-restore), test
                    images loaded: .netns (a harness Netns) and .docker (BridgedDocker).
                    Start clusterd there with start_clusterd(docker=bridged.docker,
                    netns=bridged.netns) and talk to it inside `with bridged.netns.entered()`

When a test fails, the logs of the clusterd instances it used are attached to the report.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import clusterd_harness as harness  # noqa: E402  pylint: disable=wrong-import-position


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pylint: disable=unused-argument
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    seen = list(getattr(item, "_clusterd_instances", []))
    seen += [i for i in harness.LIVE if i not in seen]
    for inst in seen:
        rep.sections.append((f"clusterd log {inst.log_path} (last 150 lines)", inst.log_tail(150)))
    dockerd = item.funcargs.get("dockerd") if hasattr(item, "funcargs") else None
    if dockerd is not None and os.path.exists(dockerd.log_path):
        rep.sections.append((f"dockerd log {dockerd.log_path} (last 30 lines)",
                             harness.tail(dockerd.log_path, 30)))
    bridged = item.funcargs.get("bridged") if hasattr(item, "funcargs") else None
    if bridged is not None and os.path.exists(bridged.docker.log_path):
        rep.sections.append((f"bridged dockerd log {bridged.docker.log_path} (last 30 lines)",
                             harness.tail(bridged.docker.log_path, 30)))


@pytest.fixture(scope="session")
def clusterd_bin():
    path = os.path.abspath(os.environ.get("CLUSTERD_BIN", "./clusterd"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"clusterd binary not found at {path}: run `make clusterd` or set CLUSTERD_BIN",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def dockerd():
    if os.geteuid() != 0:
        pytest.fail("the integration tests start a private dockerd and need root", pytrace=False)
    d = harness.DockerDaemon()
    try:
        d.start()
        d.load_test_images()
    except Exception as e:  # pylint: disable=broad-except
        d.stop()
        pytest.fail(f"cannot start a private dockerd for the tests: {e}", pytrace=False)
    yield d
    d.stop()


class _Bridged:  # pylint: disable=too-few-public-methods
    def __init__(self, netns, docker):
        self.netns = netns
        self.docker = docker


@pytest.fixture(scope="session")
def bridged(dockerd):  # pylint: disable=unused-argument,redefined-outer-name
    """dockerd (the session's) first: both need root, and a failure there says so."""
    netns = harness.Netns()
    d = harness.BridgedDocker(netns)
    try:
        d.start()
        d.load_test_images()
    except Exception as e:  # pylint: disable=broad-except
        d.stop()
        netns.delete()
        pytest.fail(f"cannot start a bridged dockerd in a network namespace: {e}",
                    pytrace=False)
    yield _Bridged(netns, d)
    d.stop()
    netns.delete()


def _close(pool):
    errors = pool.close()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def start_clusterd(request, dockerd, clusterd_bin, tmp_path):
    pool = harness.ClusterdPool(clusterd_bin, tmp_path, docker=dockerd)
    request.node._clusterd_instances = pool.instances  # pylint: disable=protected-access
    yield pool.start
    _close(pool)


@pytest.fixture
def clusterd(start_clusterd):
    return start_clusterd()


@pytest.fixture(scope="module")
def module_clusterd(dockerd, clusterd_bin, tmp_path_factory):
    pool = harness.ClusterdPool(clusterd_bin, tmp_path_factory.mktemp("cd"), docker=dockerd)
    inst = pool.start()
    yield inst
    _close(pool)
