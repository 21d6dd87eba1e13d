"""t8 (issue 11, item 8): a full disk, for real.

The store lives on a small tmpfs that the test mounts for --work_dir and fills
with a file until the kernel says ENOSPC. API writes then answer 507 with
Marathon's error body and a message that says what happened ("no space left
on device in <work_dir>"), nothing of them is stored (not after a restart
either), and once there is room again the same writes succeed. A group
change and its group version are one commit: both or neither.

Both ways of syncing the store behave so: with --store_sync=group a batch
that joins its loop pass's transaction first allocates the file ahead for
everything the pass may write, so a full disk fails that batch with a 507,
and never the pass's commit after the process changed its memory; with
--store_sync=commit (the default) each write's own commit fails.
"""
import errno
import os
import subprocess

import pytest

from clusterd_harness import wait_until

MIB = 1024 * 1024


@pytest.fixture
def small_fs(tmp_path):
    """A 16 MiB tmpfs mounted for the test, unmounted after it."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mnt)],
                   check=True)
    try:
        yield str(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path):
    """Write path until the filesystem is full; return the file name."""
    filler = os.path.join(path, "filler")
    chunk = b"\0" * (64 * 1024)
    with open(filler, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def big_app(app_id):
    """An app whose definition needs many new store pages (about 300 KB)."""
    return {"id": app_id, "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 0,
            "labels": {f"label{i:04d}": "x" * 200 for i in range(1500)}}


def group_body(group_id, app_id):
    return {"id": group_id, "apps": [dict(big_app(app_id), id=app_id)]}


def assert_507(r, work_dir):
    assert r.status_code == 507, (r.status_code, r.text)
    body = r.json()
    assert body["message"] == f"no space left on device in {os.path.realpath(work_dir)}", body
    assert body["details"] == []


SYNCS = ["group", "commit"]


@pytest.mark.parametrize("sync", SYNCS)
def test_full_disk_answers_507_and_stores_nothing(start_clusterd, small_fs, sync):
    cd = start_clusterd(f"--work_dir={small_fs}", f"--store_sync={sync}", role="--master")
    # Some room left: a first group and its version are stored.
    r = cd.put("/v2/groups/first", json=group_body("/first", "/first/a"))
    assert r.status_code in (200, 201), r.text
    versions_before = cd.get("/v2/groups/first/versions").json()
    assert len(versions_before) == 1

    filler = fill(small_fs)
    r = cd.post("/v2/apps", json=big_app("/big"))
    assert_507(r, small_fs)
    assert cd.get("/v2/apps/big").status_code == 404
    # A group change is one commit with its version: neither is stored.
    r = cd.put("/v2/groups/grp", json=group_body("/grp", "/grp/b"))
    assert_507(r, small_fs)
    assert cd.get("/v2/groups/grp").status_code == 404
    assert cd.get("/v2/apps/grp/b").status_code == 404
    r = cd.put("/v2/groups/first", json=group_body("/first", "/first/c"))
    assert_507(r, small_fs)
    assert cd.get("/v2/groups/first/versions").json() == versions_before
    assert cd.get("/v2/apps/first/c").status_code == 404
    assert cd.get("/v2/apps/first/a").status_code == 200
    # The server stays up and answers reads.
    assert cd.get("/ping").text.strip() == "pong"

    # Room again: the same writes succeed, each group change with its version.
    os.unlink(filler)
    r = cd.post("/v2/apps", json=big_app("/big"))
    assert r.status_code == 201, r.text
    r = cd.put("/v2/groups/grp", json=group_body("/grp", "/grp/b"))
    assert r.status_code in (200, 201), r.text
    grp_version = r.json()["version"]
    assert cd.get("/v2/groups/grp/versions").json() == [grp_version]

    # After a restart: exactly what was acknowledged.
    cd.restart()
    wait_until(lambda: cd.get("/v2/apps/big").status_code == 200, what="/big after the restart")
    assert cd.get("/v2/groups/grp/versions").json() == [grp_version]
    assert cd.get("/v2/apps/grp/b").status_code == 200
    assert cd.get("/v2/apps/first/c").status_code == 404
    assert cd.get("/v2/groups/first/versions").json() == versions_before


def app_of(app_id, kb=8):
    return {"id": app_id, "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 0,
            "labels": {f"l{i:03d}": "y" * 200 for i in range(kb * 1024 // 220)}}


@pytest.mark.parametrize("sync", SYNCS)
def test_group_change_and_version_both_or_neither(start_clusterd, small_fs, sync):
    """A small change whose group version is big: with room for the change
    and not for the version, the change used to be committed alone (200)."""
    cd = start_clusterd(f"--work_dir={small_fs}", f"--store_sync={sync}", role="--master")
    # One app at a time: each change is small, and so is what it frees.
    apps = [app_of(f"/many/a{i:02d}") for i in range(40)]
    for app in apps:
        r = cd.post("/v2/apps", json=app)
        assert r.status_code == 201, r.text
    wait_until(lambda: cd.get("/v2/deployments").json() == [], what="deployments done")
    before = cd.get("/v2/groups/many/versions").json()
    assert before == []
    filler = fill(small_fs)
    # Room for the change (one app's cmd), not for the whole group's version.
    os.truncate(filler, os.path.getsize(filler) - 128 * 1024)
    apps[1] = dict(apps[1], cmd="sleep 2000")
    r = cd.put("/v2/groups/many", json={"id": "/many", "apps": apps})
    versions = cd.get("/v2/groups/many/versions").json()
    cmd = cd.get("/v2/apps/many/a01").json()["app"]["cmd"]
    if r.status_code == 507:
        assert_507(r, small_fs)
        assert versions == before and cmd == "sleep 1000", (versions, cmd)
    else:
        assert r.status_code == 200, r.text
        assert versions == [r.json()["version"]] + before and cmd == "sleep 2000", (versions, cmd)
    os.unlink(filler)
    cd.restart()
    assert cd.get("/v2/groups/many/versions").json() == versions
    assert cd.get("/v2/apps/many/a01").json()["app"]["cmd"] == cmd
