"""t4: the rest of container.docker that users send (SPEC section 6, issue 12 item 6),
each against the real dockerd.

- forcePullImage: the image is pulled even when one of that name is present (a
  docker-registry in the bridged namespace holds a newer image under the same tag);
  without it, the local image runs.
- args follow the image's entrypoint; cmd runs through /bin/sh as Mesos runs it.
- labels and the allowed parameters (env, label) reach the container; docker:///
  and plain image names both work.
- volumes: host paths (below --allowed_host_paths) read-write and read-only, a
  relative hostPath inside the sandbox, and a named Docker volume.
"""

import base64
import io
import os
import tarfile
import urllib.parse

from clusterd_harness import (TEST_IMAGE, Registry, busybox_rootfs_tar, wait_until)


def image_with(extra):
    """The busybox rootfs tar with extra {path: bytes} files."""
    buf = io.BytesIO(busybox_rootfs_tar())
    with tarfile.open(fileobj=buf, mode="a") as t:
        for name, data in extra.items():
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def import_image(docker, tar, repo, tag, changes=()):
    params = [("fromSrc", "-"), ("repo", repo), ("tag", tag)] + [("changes", c) for c in changes]
    path = "/images/create?" + urllib.parse.urlencode(params)
    docker.call("POST", path, body=tar, headers={"Content-Type": "application/x-tar"},
                timeout=300)


def push(docker, name, tag):
    auth = base64.b64encode(b"{}").decode()
    status, data = docker.request("POST", f"/images/{name}/push", params={"tag": tag},
                                  headers={"X-Registry-Auth": auth}, timeout=300)
    assert status == 200, (status, data[:300])
    for line in data.splitlines():
        assert b'"error"' not in line, line


def output(cd, task, needle, timeout=30):
    return wait_until(lambda: needle in (cd.sandbox_file(task) or "") and
                      cd.sandbox_file(task), timeout=timeout, what=f"{needle!r} in stdout")


def test_force_pull_image(start_clusterd, bridged):
    docker = bridged.docker
    reg = Registry(bridged.netns)
    try:
        with bridged.netns.entered():
            import requests  # pylint: disable=import-outside-toplevel
            wait_until(lambda: requests.get(f"http://{reg.addr}/v2/", timeout=2).ok,
                       timeout=30, what="the registry")
            name = f"{reg.addr}/cd/force"
            # The registry gets v2 under the tag; the daemon keeps v1 under it.
            import_image(docker, image_with({"marker": b"v2\n"}), name, "latest")
            push(docker, name, "latest")
            import_image(docker, image_with({"marker": b"v1\n"}), name, "latest")

            cd = start_clusterd(docker=docker, netns=bridged.netns)
            for app_id, force in (("/local-image", False), ("/pulled-image", True)):
                app = {"id": app_id, "cpus": 0.1, "mem": 32,
                       "cmd": "cat /marker; exec sleep 100000",
                       "container": {"type": "DOCKER",
                                     "docker": {"image": name, "forcePullImage": force}}}
                assert cd.post("/v2/apps", json=app).status_code == 201
            (local,) = cd.wait_running("/local-image", 1, timeout=60)
            (pulled,) = cd.wait_running("/pulled-image", 1, timeout=120)
            assert output(cd, local, "v").strip() == "v1"
            assert output(cd, pulled, "v").strip() == "v2"
    finally:
        reg.stop()


def test_args_follow_the_entrypoint_and_cmd_runs_in_a_shell(clusterd, dockerd):
    cd = clusterd
    import_image(dockerd, busybox_rootfs_tar(), "cd/entry", "1",
                 changes=['ENTRYPOINT ["/bin/sh", "-c", "echo ep \\"$@\\"; exec sleep 100000", "ep"]'])
    apps = [
        {"id": "/with-args", "args": ["a", "b"]},
        {"id": "/with-cmd", "cmd": "echo from-cmd $((1+2)); exec sleep 100000"},
    ]
    for a in apps:
        a.update({"cpus": 0.1, "mem": 32,
                  "container": {"type": "DOCKER", "docker": {"image": "cd/entry:1"}}})
        assert cd.post("/v2/apps", json=a).status_code == 201, a
    (t_args,) = cd.wait_running("/with-args", 1, timeout=60)
    (t_cmd,) = cd.wait_running("/with-cmd", 1, timeout=60)
    assert "ep a b" in output(cd, t_args, "ep ")
    out = output(cd, t_cmd, "from-cmd")
    assert "from-cmd 3" in out and "ep " not in out, out


def test_labels_parameters_and_image_names(clusterd, dockerd):
    cd = clusterd
    for app_id, image in (("/scheme", f"docker:///{TEST_IMAGE}"), ("/plain", TEST_IMAGE)):
        app = {"id": app_id, "cpus": 0.1, "mem": 32, "labels": {"team": "blue"},
               "cmd": "echo FROM_PARAM=$FROM_PARAM; exec sleep 100000",
               "container": {"type": "DOCKER", "docker": {
                   "image": image,
                   "parameters": [{"key": "label", "value": "from=param"},
                                  {"key": "env", "value": "FROM_PARAM=yes"},
                                  {"key": "hostname", "value": "boxed"}]}}}
        assert cd.post("/v2/apps", json=app).status_code == 201, app
        (task,) = cd.wait_running(app_id, 1, timeout=60)
        assert "FROM_PARAM=yes" in output(cd, task, "FROM_PARAM=")
        (c,) = dockerd.containers([f"clusterd.task_id={task['id']}"])
        cfg = dockerd.inspect(c["Id"])["Config"]
        assert cfg["Labels"]["team"] == "blue" and cfg["Labels"]["from"] == "param", cfg
        assert cfg["Hostname"] == "boxed", cfg
        assert cfg["Image"] == TEST_IMAGE, cfg


def test_volumes_host_relative_and_named(start_clusterd, dockerd, tmp_path):
    allowed = tmp_path / "host"
    (allowed / "rw").mkdir(parents=True)
    (allowed / "ro").mkdir()
    (allowed / "ro" / "in").write_text("host-data\n")
    os.chmod(allowed / "rw", 0o777)
    vol = f"cdvol-{os.getpid()}"
    cd = start_clusterd(f"--allowed_host_paths={allowed}")
    app = {
        "id": "/vols", "cpus": 0.1, "mem": 32,
        "cmd": "echo written > /rw/f; (echo x > /ro/f && echo ro-writable || echo ro-refused); "
               "cat /ro/in; echo named > /named/f; echo rel > /rel/f; echo done; "
               "exec sleep 100000",
        "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}, "volumes": [
            {"containerPath": "/rw", "hostPath": str(allowed / "rw"), "mode": "RW"},
            {"containerPath": "/ro", "hostPath": str(allowed / "ro"), "mode": "RO"},
            {"containerPath": "/rel", "hostPath": "reldir", "mode": "RW"},
            {"containerPath": "/named", "mode": "RW",
             "external": {"name": vol, "provider": "dvdi",
                          "options": {"dvdi/driver": "local"}}},
        ]},
    }
    assert cd.post("/v2/apps", json=app).status_code == 201
    (task,) = cd.wait_running("/vols", 1, timeout=60)
    out = output(cd, task, "done")
    assert "ro-refused" in out and "host-data" in out, out
    assert (allowed / "rw" / "f").read_text() == "written\n"
    assert not (allowed / "ro" / "f").exists()
    with open(os.path.join(cd.sandbox(task), "reldir", "f"), encoding="utf-8") as f:
        assert f.read() == "rel\n"
    v = dockerd.call("GET", f"/volumes/{vol}")
    assert v["Driver"] == "local", v
    (c,) = dockerd.containers([f"clusterd.task_id={task['id']}"])
    mounts = {m["Destination"]: m for m in dockerd.inspect(c["Id"])["Mounts"]}
    assert mounts["/named"]["Type"] == "volume" and mounts["/named"]["Name"] == vol
    assert mounts["/ro"]["RW"] is False and mounts["/rw"]["RW"] is True
    cd.delete("/v2/apps/vols")
    wait_until(lambda: not dockerd.containers([f"clusterd.task_id={task['id']}"]),
               timeout=30, what="the container gone")
    dockerd.request("DELETE", f"/volumes/{vol}")
