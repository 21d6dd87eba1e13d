"""An attacker for the security tests: a separate process that sends HTTP
requests and reports what came back.

Used as a module, `attack(reqs, ns=None)` starts `/usr/bin/python3
stranger.py` (inside network namespace `ns` with `nsenter --net=`, when
given), hands it the requests as JSON on stdin and returns its results. Run
as a program, it reads the requests, sends each with `requests`, and prints
one result per request as JSON on stdout.

A request: {"method": "GET", "url": ..., "headers": {...}, "body": str or
null, "verify": true/false/"path of a CA file", "timeout": seconds}.
A result: {"status": int or null, "body": str, "headers": {...}, "error":
null or the exception's class name ("SSLError", "ConnectionError", ...)}.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


def attack(reqs, ns=None, timeout=120):
    """Send reqs from a process of their own (in namespace ns); the results."""
    cmd = [PYTHON, os.path.join(HERE, "stranger.py")]
    if ns is not None:
        cmd = ["nsenter", f"--net=/run/netns/{ns}", "--", *cmd]
    out = subprocess.run(cmd, input=json.dumps(reqs), capture_output=True, text=True,
                         check=False, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"stranger exited {out.returncode}: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def one(method, url, ns=None, **kw):
    """One request from the stranger; its result."""
    return attack([dict(method=method, url=url, **kw)], ns=ns)[0]


def _send(session, req):
    # Imported here: the test process only needs the attack() side.
    import requests  # pylint: disable=import-outside-toplevel
    res = {"status": None, "body": "", "headers": {}, "error": None}
    try:
        r = session.request(req.get("method", "GET"), req["url"],
                            headers=req.get("headers") or {},
                            data=(req["body"].encode() if req.get("body") is not None else None),
                            verify=req.get("verify", True), timeout=req.get("timeout", 10),
                            allow_redirects=False)
        res["status"] = r.status_code
        res["body"] = r.text
        res["headers"] = dict(r.headers)
    except requests.exceptions.SSLError:
        res["error"] = "SSLError"
    except requests.exceptions.ConnectionError:
        res["error"] = "ConnectionError"
    except requests.exceptions.RequestException as e:
        res["error"] = type(e).__name__
    return res


def main():
    import requests  # pylint: disable=import-outside-toplevel
    import urllib3  # pylint: disable=import-outside-toplevel
    urllib3.disable_warnings()
    reqs = json.load(sys.stdin)
    results = []
    with requests.Session() as s:
        s.trust_env = False  # no proxies or CA bundles from the caller
        for req in reqs:
            results.append(_send(s, req))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
