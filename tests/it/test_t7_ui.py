"""t7: the web UI in a real headless Chromium, used as a person would (SPEC section 8).

- An app is created through the form; a validation error from the API shows
  at its field first. It runs; it is scaled from the keyboard; a deployment
  that cannot finish shows its progress and the reasons in the launch queue;
  it is rolled back from the deployments page; a task is killed; its sandbox
  viewer opens; the app is destroyed. Every change shows up from the event
  stream, without reloading the page.
- The cluster view shows the agent with its resources, the leader and the
  framework.
- With 1,000 apps the list paints (the time to first paint is printed, not
  asserted), keeps only the visible rows in the DOM, searches, moves by
  keyboard and follows a change live.
- No page logs a console error, beyond the HTTP errors the test provokes.
Screenshots go to tests/it/artifacts/ (ignored by git).
"""

import json
import os
import shutil
import tempfile
import time

import pytest
import requests

import clusterd_harness as harness

selenium = pytest.importorskip("selenium", reason="python3-selenium: make test-deps")
from selenium import webdriver  # noqa: E402  pylint: disable=wrong-import-position
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


class Browser:
    """One headless Chromium with a fresh profile, and the helpers the tests use."""

    def __init__(self):
        if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
            pytest.fail("chromium and chromium-driver are needed: make test-deps", pytrace=False)
        self.profile = tempfile.mkdtemp(prefix="cd-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={self.profile}",
                    "--window-size=1280,800"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service(DRIVER), options=opts)
        self.d.set_script_timeout(30)
        self.logs = []
        self.viewport(1280, 800)

    def close(self):
        try:
            self.d.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def viewport(self, width, height, mobile=False):
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def open(self, url):
        self.d.get(url)
        self.wait(lambda: self.d.execute_script("return document.readyState") == "complete",
                  what="the page to load")

    def go(self, fragment):
        self.d.execute_script("location.hash = arguments[0]", fragment)

    def wait(self, fn, timeout=30, what=None):
        def probe():
            try:
                return fn()
            except WebDriverException:
                return None
        return harness.wait_until(probe, timeout=timeout, interval=0.1, what=what)

    def find(self, css, timeout=30):
        return self.wait(lambda: next(iter(e for e in self.d.find_elements(By.CSS_SELECTOR, css)
                                           if e.is_displayed()), None), timeout, what=css)

    def all(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        """The text of the first visible match. The page re-renders live from
        /v2/events, so an element found may be replaced before it is read:
        find it again then (wait() treats the stale reference as not yet)."""
        return self.wait(lambda: self.find(css).text, 30, what=f"the text of {css}")

    def wait_text(self, css, want, timeout=30):
        """Wait until an element matching css contains `want`; return its text."""
        def check():
            for e in self.all(css):
                if e.is_displayed() and want in e.text:
                    return e.text
            return None
        return self.wait(check, timeout, what=f"{css} to show {want!r}")

    def click(self, css):
        el = self.find(css)
        el.click()
        return el

    def confirm(self):
        self.click("dialog[open] [data-test=dlg-ok]")
        self.wait(lambda: not self.all("dialog[open]"), what="the dialog to close")

    def shot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.d.save_screenshot(os.path.join(ARTIFACTS, name + ".png"))

    def collect_logs(self):
        self.logs += self.d.get_log("browser")
        return self.logs

    def console_errors(self, allowed=()):
        """SEVERE console entries, except HTTP errors the test caused on purpose
        (each `allowed` item is a substring of the logged request URL)."""
        bad = []
        for e in self.collect_logs():
            if e["level"] != "SEVERE":
                continue
            if e.get("source") == "network" and any(a in e["message"] for a in allowed):
                continue
            bad.append(e["message"])
        return bad

    def no_page_reload_since(self, marker):
        return self.d.execute_script("return window.__cdMarker === arguments[0]", marker)

    def fits_width(self):
        return self.d.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def browser():
    b = Browser()
    yield b
    b.close()


def set_value(el, value):
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.DELETE)
    el.send_keys(value)


def sandbox_served(c, task_id):
    """The sandbox endpoint the viewer reads (the lead adds it on the API port)."""
    r = c.get(f"/v2/tasks/{task_id}/files/read", params={"path": "stdout", "offset": -1})
    return r.status_code == 200


def test_app_lifecycle(browser, start_clusterd):
    c = start_clusterd()
    b = browser
    b.open(c.url + "/")
    assert b.d.current_url == c.url + "/ui/#/apps"
    b.wait_text("#conn", "live")
    b.d.execute_script("window.__cdMarker = 'lifecycle'")

    # Create, with a validation error from the API shown at its field.
    b.click("[data-test=create-app]")
    form_id = b.find("#f-id")
    set_value(form_id, "/ui/web_app")
    b.find("#f-cmd").send_keys("while true; do echo hello-from-the-ui; sleep 1; done")
    set_value(b.find("#f-cpus"), "1")
    set_value(b.find("#f-mem"), "16")
    b.click("[data-test=submit-app]")
    err = b.find("#f-id-err")
    assert err.text, "no error text at the ID field"
    assert "invalid" in b.find("#f-id").find_element(By.XPATH, "..").get_attribute("class")
    assert b.find("#f-id").get_attribute("aria-invalid") == "true"
    assert b.find("[data-test=form-errors]").is_displayed()
    b.shot("t7-form-validation")
    assert c.get("/v2/apps").json()["apps"] == []  # nothing was created
    set_value(b.find("#f-id"), "/ui/web")
    b.click("[data-test=submit-app]")
    b.wait(lambda: b.d.current_url.endswith("#/app/ui/web"), what="the app's page")

    # It runs.
    b.wait_text("[data-test=app-instances]", "1 / 1", timeout=60)
    b.wait_text("[data-test=task-row]", "running")
    b.shot("t7-app-running")

    # Scale to 2 with the keyboard: the button, the dialog's field, Enter.
    b.find("[data-test=act-scale]").send_keys(Keys.ENTER)
    field = b.find("dialog[open] [data-test=scale-input]")
    assert b.d.switch_to.active_element == field
    set_value(field, "2")
    field.send_keys(Keys.ENTER)
    b.wait(lambda: not b.all("dialog[open]"), what="the dialog to close")
    b.wait_text("[data-test=app-instances]", "2 / 2", timeout=60)
    b.wait(lambda: len(b.all("[data-test=task-row]")) == 2, what="two task rows")

    # Scale beyond the agent (4 CPUs, 1 per task): the deployment stays, and
    # the queue says why.
    b.click("[data-test=act-scale]")
    set_value(b.find("dialog[open] [data-test=scale-input]"), "6")
    b.confirm()
    b.wait_text("[data-test=app-instances]", "4 / 6", timeout=60)
    b.wait_text("[data-test=app-status]", "Deploying")
    b.wait_text("[data-test=queue-panel]", "InsufficientCpus")
    b.shot("t7-app-waiting")

    # The list shows it deploying; the deployments page shows its progress,
    # and rolls it back.
    b.go("#/apps/ui/")
    b.wait_text("[data-test=app-row]", "Deploying 1/1")
    b.click('header nav a[data-section="deployments"]')
    card = b.wait_text("[data-test=deployment]", "ScaleApplication")
    assert "/ui/web" in card
    assert b.find("[data-test=step][data-state=running]")
    assert "step 1 of 1" in b.text("[data-test=dep-step]")
    b.shot("t7-deployment")
    b.click("[data-test=dep-rollback]")
    b.confirm()
    b.find("[data-test=no-deployments]", timeout=60)
    assert c.app("/ui/web")["instances"] == 2

    # Back on the app: kill one task (without scaling): it is replaced.
    b.go("#/app/ui/web")
    b.wait_text("[data-test=app-instances]", "2 / 2", timeout=60)
    rows = b.wait(lambda: len(b.all("[data-test=task-row]")) == 2 and b.all("[data-test=task-row]"))
    victim = rows[0].find_elements(By.CSS_SELECTOR, "td")[1].text
    rows[0].find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    b.click("[data-test=kill-tasks]")
    b.confirm()
    b.wait(lambda: all(victim not in r.text for r in b.all("[data-test=task-row]"))
           and len(b.all("[data-test=task-row]")) == 2, timeout=60, what="the task replaced")
    b.wait_text("[data-test=app-instances]", "2 / 2", timeout=60)

    # The sandbox viewer of a task's stdout.
    task_id = c.running_tasks("/ui/web")[0]["id"]
    b.go(f"#/sandbox/{task_id}?file=stdout")
    if sandbox_served(c, task_id):
        b.wait_text("[data-test=sandbox-log]", "hello-from-the-ui", timeout=30)
    else:
        # Until the API port relays /files/read, the viewer says so plainly.
        msg = b.wait_text("[data-test=sandbox-error]", "cannot be read")
        assert "HTTP 404" in msg or "HTTP 501" in msg
    b.shot("t7-sandbox")

    # On a phone: nothing wider than the screen.
    b.viewport(390, 844, mobile=True)
    b.go("#/app/ui/web")
    b.wait_text("[data-test=app-instances]", "2 / 2")
    b.shot("t7-phone-app")
    assert b.fits_width()
    b.go("#/apps/ui/")
    b.find("[data-test=app-row]")
    b.shot("t7-phone-apps")
    assert b.fits_width()
    b.viewport(1280, 800)

    # Destroy it.
    b.go("#/app/ui/web")
    b.click("[data-test=act-destroy]")
    b.confirm()
    b.wait(lambda: b.d.current_url.endswith("#/apps/ui/"), what="the folder page")
    b.wait(lambda: c.get("/v2/apps/ui/web").status_code == 404, timeout=60, what="the app gone")
    b.wait(lambda: not b.all("[data-test=app-row]"), what="the row gone")
    assert b.no_page_reload_since("lifecycle"), "the page was reloaded"
    errors = b.console_errors(allowed=("/v2/apps", "/files/read"))
    assert not errors, errors


def test_cluster_view(browser, start_clusterd):
    clusterd = start_clusterd("--attributes=rack:r1;zone:a")
    b = browser
    b.open(clusterd.url + "/ui/#/cluster")
    row = b.wait_text("[data-test=agent-row]", "active")
    state = clusterd.get("/master/state", base=clusterd.master_url).json()
    agent = state["slaves"][0]
    assert agent["hostname"] in row and agent["id"] in row
    assert "of 4 CPUs" in row and "of 100 ports" in row
    assert "rack: r1" in row and "zone: a" in row
    bars = b.all("[data-test=agent-row] .bar[role=meter]")
    assert len(bars) == 4
    assert b.text("[data-test=api-leader]") == f"127.0.0.1:{clusterd.ports['http']}"
    assert f":{clusterd.ports['master']}" in b.text("[data-test=master-leader]")
    b.wait_text("[data-test=frameworks]", "marathon")
    b.shot("t7-cluster")
    errors = b.console_errors()
    assert not errors, errors


N_APPS = 1000


def test_thousand_apps(browser, start_clusterd):
    c = start_clusterd("--containerizers=sim",
                       resources="cpus:1000;mem:1000000;disk:100000;ports:[31000-31099]")
    apps = [{"id": f"/load-{i:04d}", "cmd": "sleep 1000", "cpus": 0.01, "mem": 8,
             "instances": 1, "portDefinitions": []} for i in range(N_APPS)]
    r = c.put("/v2/groups", data=json.dumps({"apps": apps}),
              headers={"Content-Type": "application/json"}, timeout=120)
    assert r.status_code in (200, 201), r.text
    harness.wait_until(lambda: len(c.get("/v2/apps").json()["apps"]) == N_APPS,
                       what=f"{N_APPS} apps")
    harness.wait_until(lambda: c.get("/v2/deployments").json() == [], timeout=120,
                       what="the deployment of the apps")

    b = browser
    b.open(c.url + "/ui/#/apps")
    painted = b.wait(lambda: b.d.execute_script(
        "const m = performance.getEntriesByName('cd-apps-list-painted');"
        "return m.length ? m[0].startTime : null"), what="the list's first paint")
    fcp = b.d.execute_script(
        "const p = performance.getEntriesByName('first-contentful-paint');"
        "return p.length ? p[0].startTime : null")
    print(f"\nweb UI, {N_APPS} apps: list painted {painted:.0f} ms after navigation start "
          f"(first contentful paint {fcp or 0:.0f} ms)")
    b.wait_text(".summary", f"{N_APPS} apps, {N_APPS} of {N_APPS} instances running")
    b.d.execute_script("window.__cdMarker = 'thousand'")
    b.shot("t7-thousand-apps")
    rows = len(b.all("[data-test=app-row]"))
    assert 0 < rows < 100, f"{rows} rows in the DOM for {N_APPS} apps"

    # Scrolled to the end, the last app is there, and still few rows.
    b.d.execute_script("const v = document.querySelector('[data-test=apps-list]');"
                       "v.scrollTop = v.scrollHeight")
    b.find('[data-key="/load-0999"]')
    assert len(b.all("[data-test=app-row]")) < 100

    # Keyboard: Down from the search to the first row, End to the last.
    search = b.find("[data-test=search]")
    search.send_keys(Keys.ARROW_DOWN)
    assert b.d.switch_to.active_element.get_attribute("data-key") == "/load-0000"
    b.d.switch_to.active_element.send_keys(Keys.END)
    b.wait(lambda: b.d.switch_to.active_element.get_attribute("data-key") == "/load-0999",
           what="the last row focused")

    # Search narrows to one row.
    search.send_keys("load-0123")
    b.wait(lambda: len(b.all("[data-test=app-row]")) == 1, what="one match")
    assert "load-0123" in b.text("[data-test=app-row]")

    # A change made elsewhere shows up live.
    assert c.put("/v2/apps/load-0123", json={"instances": 3}).status_code == 200
    b.wait_text("[data-test=app-row]", "3 / 3", timeout=60)
    assert b.no_page_reload_since("thousand"), "the page was reloaded"
    errors = b.console_errors()
    assert not errors, errors


def test_every_page_edit_and_versions(browser, clusterd):
    """Every page opens cleanly, including one for an app that does not exist;
    an edit through the form saves a new version, and the versions tab shows
    the difference."""
    b = browser
    b.open(clusterd.url + "/ui/")
    r = clusterd.post("/v2/apps", json={"id": "/pages/one", "cmd": "sleep 300", "cpus": 0.1,
                                        "mem": 16})
    assert r.status_code == 201, r.text
    clusterd.wait_running("/pages/one", 1)
    for frag, sel in (("#/apps", "[data-test=group-row]"), ("#/apps/pages/", "[data-test=app-row]"),
                      ("#/app/pages/one", "[data-test=task-row]"),
                      ("#/app/pages/one?tab=config", "[data-test=config-json]"),
                      ("#/app/pages/one?tab=versions", "[data-test=diff]"),
                      ("#/edit/pages/one", "#f-id"), ("#/new", "#f-id"),
                      ("#/deployments", "[data-test=no-deployments]"),
                      ("#/cluster", "[data-test=agent-row]"), ("#/app/pages/none", "h1")):
        b.go(frag)
        b.find(sel)
    # The edit form loads the definition, and the JSON tab shows it whole.
    b.go("#/edit/pages/one")
    b.wait(lambda: b.find("#f-id").get_attribute("value") == "/pages/one", what="the form filled")
    b.click("[data-test=tab-json]")
    doc = json.loads(b.find("[data-test=json-editor]").get_attribute("value"))
    assert doc["id"] == "/pages/one" and doc["cmd"] == "sleep 300"
    assert "tasksRunning" not in doc and "version" not in doc
    b.click("[data-test=tab-form]")
    b.d.find_element(By.XPATH, "//summary[text()='Environment and labels']").click()
    b.find("#f-env").send_keys("GREETING=hi")
    b.click("[data-test=submit-app]")
    b.wait(lambda: b.d.current_url.endswith("#/app/pages/one"), what="the app's page")
    b.wait(lambda: clusterd.app("/pages/one")["env"] == {"GREETING": "hi"}, what="the new env")
    b.click("[data-test=tab-versions]")
    added = b.wait_text("[data-test=diff] .dl.add", '"GREETING": "hi"')
    assert added.startswith("+")
    b.shot("t7-versions-diff")
    errors = b.console_errors(allowed=("/v2/apps/pages/none",))
    assert not errors, errors
    requests.delete(clusterd.url + "/v2/apps/pages/one", timeout=10)
