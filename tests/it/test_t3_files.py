"""t3: a task's sandbox through Mesos' /files endpoints (SPEC section 2, issue 13).

The agent serves /files/browse, /files/read and /files/download in Mesos' shapes,
confined to its sandboxes; its /state lists each task's executor with the sandbox
"directory" that tools append /stdout to. The API port relays /files/read and
/files/browse of a task, so a browser needs only that port.
"""

import os

import requests

from clusterd_harness import wait_until

APP = {
    "id": "/files/writer",
    # A line, then bytes that are not UTF-8, then a line per second.
    "cmd": "echo hello-sandbox; printf 'bad:\\377\\376:end\\n'; "
           "i=0; while true; do i=$((i+1)); echo line-$i; sleep 1; done",
    "cpus": 0.1,
    "mem": 32,
}


def started_task(cd):
    r = cd.post("/v2/apps", json=APP)
    assert r.status_code == 201, r.text
    task = cd.wait_running(APP["id"], 1, timeout=60)[0]
    wait_until(lambda: "line-2" in (cd.sandbox_file(task, "stdout") or ""), timeout=30,
               what="two lines in the task's stdout")
    return task


def executor_dir(cd, task_id):
    state = cd.get("/state", base=cd.agent_url).json()
    for fw in state["frameworks"]:
        for ex in fw["executors"]:
            if ex["id"] == task_id:
                assert [t["id"] for t in ex["tasks"]] == [task_id]
                return ex["directory"]
    raise AssertionError(f"no executor for {task_id} in the agent's /state: {state}")


def test_agent_files_in_mesos_shapes(clusterd):
    cd = clusterd
    task = started_task(cd)
    d = executor_dir(cd, task["id"])
    assert os.path.isdir(d) and d.startswith(os.path.realpath(cd.work_dir))

    # browse: entries of the sandbox with Mesos' fields
    r = cd.get("/files/browse", base=cd.agent_url, params={"path": d})
    assert r.status_code == 200, r.text
    entries = {e["path"]: e for e in r.json()}
    assert {d + "/stdout", d + "/stderr"} <= set(entries)
    e = entries[d + "/stdout"]
    assert e["mode"].startswith("-rw") and e["nlink"] == 1 and e["size"] > 0
    assert set(e) >= {"path", "nlink", "size", "mtime", "mode", "uid", "gid"}

    # read: from the start, a page, the size with offset=-1
    on_disk = open(d + "/stdout", "rb").read()
    r = cd.get("/files/read", base=cd.agent_url, params={"path": d + "/stdout", "offset": 0})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["offset"] == 0
    assert body["data"].startswith("hello-sandbox\nbad:??:end\nline-1\n")
    r = cd.get("/files/read", base=cd.agent_url,
               params={"path": d + "/stdout", "offset": 6, "length": 7})
    assert r.json() == {"offset": 6, "data": "sandbox"}
    size = cd.get("/files/read", base=cd.agent_url,
                  params={"path": d + "/stdout", "offset": -1}).json()
    assert size["data"] == "" and size["offset"] >= len(on_disk)
    # past the end: nothing, at that offset
    r = cd.get("/files/read", base=cd.agent_url,
               params={"path": d + "/stdout", "offset": 10 ** 9})
    assert r.json() == {"offset": 10 ** 9, "data": ""}
    # at most 64 KiB per call
    big = os.path.join(d, "big")
    with open(big, "wb") as f:
        f.write(b"x" * 200000)
    r = cd.get("/files/read", base=cd.agent_url, params={"path": big, "length": 10 ** 6})
    assert len(r.json()["data"]) == 65536

    # download: the bytes as they are
    r = cd.get("/files/download", base=cd.agent_url, params={"path": big})
    assert r.status_code == 200 and r.content == b"x" * 200000
    assert "attachment" in r.headers.get("Content-Disposition", "")

    # bad input: a clear 4xx with Marathon's body
    r = cd.get("/files/read", base=cd.agent_url, params={"path": d + "/stdout", "offset": "x"})
    assert r.status_code == 400 and "offset" in r.json()["message"]
    r = cd.get("/files/read", base=cd.agent_url, params={"path": "relative/stdout"})
    assert r.status_code == 400
    r = cd.get("/files/read", base=cd.agent_url, params={"path": d})
    assert r.status_code == 400


def test_agent_files_confined_to_sandboxes(clusterd):
    cd = clusterd
    task = started_task(cd)
    d = executor_dir(cd, task["id"])
    os.symlink("/etc/passwd", os.path.join(d, "escape"))
    secret = os.path.join(cd.work_dir, "outside.txt")
    with open(secret, "w", encoding="utf-8") as f:
        f.write("not for you\n")
    for path in ("/etc/passwd", secret, d + "/escape", d + "/../../../../../../../outside.txt",
                 d + "/no-such-file"):
        for ep in ("read", "download", "browse"):
            r = cd.get(f"/files/{ep}", base=cd.agent_url, params={"path": path})
            assert r.status_code == 404, (ep, path, r.status_code, r.text[:200])
            assert "message" in r.json()
            assert "not for you" not in r.text and "root:" not in r.text


def test_task_files_through_the_api_port(clusterd):
    cd = clusterd
    task = started_task(cd)
    r = cd.get(f"/v2/tasks/{task['id']}/files/read", params={"path": "stdout", "offset": 0})
    assert r.status_code == 200, r.text
    assert r.json()["data"].startswith("hello-sandbox\n")
    size = cd.get(f"/v2/tasks/{task['id']}/files/read",
                  params={"path": "stdout", "offset": -1}).json()["offset"]
    # following new output: a later read from the old end brings the new lines
    def grew():
        r = cd.get(f"/v2/tasks/{task['id']}/files/read", params={"path": "stdout", "offset": size})
        return r.json()["data"]
    assert wait_until(grew, timeout=15, what="new output after the old end").startswith("line-")
    r = cd.get(f"/v2/tasks/{task['id']}/files/browse")
    assert r.status_code == 200
    assert any(e["path"].endswith("/stdout") for e in r.json())
    # a path that climbs out of the task's sandbox is refused by the agent
    r = cd.get(f"/v2/tasks/{task['id']}/files/read", params={"path": "../../../../../../../../etc/passwd"})
    assert r.status_code == 404
    r = cd.get("/v2/tasks/no-such-task.1234/files/read", params={"path": "stdout"})
    assert r.status_code == 404 and r.json()["message"]


def test_task_files_need_the_api_credentials(start_clusterd):
    c = start_clusterd("--http_credentials=ops:secret", start=False)
    c.session.auth = ("ops", "secret")
    c.start()
    task = started_task(c)
    url = f"{c.url}/v2/tasks/{task['id']}/files/read"
    assert requests.get(url, params={"path": "stdout"}, timeout=10).status_code == 401
    r = requests.get(url, params={"path": "stdout"}, auth=("ops", "secret"), timeout=10)
    assert r.status_code == 200 and r.json()["data"].startswith("hello-sandbox")
