"""End to end in a browser: a real ``jupyter lab``, headless Debian Chromium, the Quantum Jobs sidebar.

Issue 4: a job submitted with ``%%qsubmit`` from a notebook shows up in the sidebar, reaches DONE
there, its details show the counts histogram, and a long job can be cancelled from the sidebar.
Also: jobs another process (the ``qnb`` CLI) submits are listed, and the status filter works.

Issue 13: the job's cell output, its live widget and the sidebar take their colours from the
theme (checked with ``getComputedStyle`` in JupyterLab Light and Dark, with screenshots in the
test's ``tmp_path``); and in Jupyter Notebook 7 the magics and the widget work and the Quantum
Jobs panel opens in Notebook 7's left side area.

Screenshots (light and dark theme) and the server log go to ``test-artifacts/``.
Needs ``/usr/bin/chromium`` (``scripts/setup.sh --browser`` installs it); Playwright's own browser
download is never used.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import JupyterServer, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TOKEN = "qnb-browser-test-" + uuid.uuid4().hex[:12]
VIEWPORT = {"width": 1400, "height": 900}

# Timeouts in ms, generous: the machine may be a loaded 2-core box.
SERVER_START_S = 120
LAB_LOAD = 120_000
KERNEL_START = 120_000
JOB_DONE = 180_000
UI = 15_000
# Loose bound on how long the panel may lag behind the store (it polls every 500 ms).
MAX_PANEL_LAG_S = 5.0

BELL_QASM = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
             'h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')
LONG_LAYERS = 60  # 24 qubits x 60 layers: minutes of Aer time, so it is cancelled while running

# What a user types into the notebook. Python without indented blocks, so the editor's
# auto-indent cannot change it.
BELL_CELL = """%%qsubmit -n bell -s 1000
from qiskit import QuantumCircuit
qc = QuantumCircuit(2)
qc.h(0)
qc.cx(0, 1)
qc.measure_all()
qc"""
LONG_CELL = ("%%qsubmit -n long24 -s 100\n"
             "from qiskit import QuantumCircuit\n"
             "big = QuantumCircuit(24)\n"
             "_ = [([big.rx(0.1 + 0.01 * (l + i), i) for i in range(24)], "
             "[big.cx(i, i + 1) for i in range(l % 2, 23, 2)]) "
             f"for l in range({LONG_LAYERS})]\n"
             "big.measure_all()\n"
             "big")

# Records when each row and the details view first showed each status (browser clock,
# the same machine's clock the runner stamps finished_at with).
OBSERVER_JS = """() => {
  const panel = document.querySelector('.qnb-JobsPanel');
  window.__qnbSeen = window.__qnbSeen || {};
  const record = () => {
    const now = Date.now();
    for (const el of panel.querySelectorAll('tr.qnb-JobRow, .qnb-JobDetails')) {
      if (!el.dataset.jobId || !el.dataset.status) continue;
      const kind = el.matches('tr') ? 'row' : 'details';
      const key = kind + ':' + el.dataset.jobId + ':' + el.dataset.status;
      if (!(key in window.__qnbSeen)) window.__qnbSeen[key] = now;
    }
  };
  record();
  new MutationObserver(record).observe(panel, {subtree: true, childList: true,
    attributes: true, attributeFilter: ['data-status', 'data-job-id']});
}"""

KERNEL_IDLE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}"""


def long_qasm(n: int = 24, layers: int = LONG_LAYERS) -> str:
    """An OpenQASM 2 program that keeps Aer busy for minutes (same shape as LONG_CELL)."""
    lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', f'qreg q[{n}];', f'creg c[{n}];']
    for layer in range(layers):
        lines += [f'rx({0.1 + 0.01 * (layer + i)}) q[{i}];' for i in range(n)]
        lines += [f'cx q[{i}],q[{i + 1}];' for i in range(layer % 2, n - 1, 2)]
    lines.append('measure q -> c;')
    return "\n".join(lines) + "\n"


def epoch_ms(iso: str) -> float:
    """An API timestamp (ISO 8601, UTC, 'Z') as milliseconds since the epoch."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


class Lab(JupyterServer):
    """A running ``jupyter lab`` (from the ``jupyter_launcher`` fixture) and how to reach it."""

    def job(self, job_id: str) -> dict[str, Any]:
        return self.api("GET", f"/qnb/api/jobs/{job_id}")

    def find_job(self, name: str, timeout: float = 60) -> dict[str, Any]:
        """The job with this name, once the store has it."""
        def named() -> dict[str, Any] | None:
            jobs = [j for j in self.api("GET", "/qnb/api/jobs?limit=100")["jobs"]
                    if j["name"] == name]
            return jobs[0] if jobs else None

        return wait_for(named, timeout, interval=0.3,
                        what=f"a job named {name!r} to reach the store in {timeout:.0f} s")

    def wait_status(self, job_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def reached() -> dict[str, Any] | None:
            last.update(self.job(job_id))
            return dict(last) if last["status"] in statuses else None

        return wait_for(reached, timeout, interval=0.3,
                        what=lambda: f"job {job_id} (still {last.get('status')} after "
                                     f"{timeout:.0f} s) to be in {sorted(statuses)}")


def write_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(""))
    nbformat.write(nb, str(path))


def quiet_lab_settings(config_dir: Path) -> None:
    """User settings for the test's own config dir: no news or update check toasts."""
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; a clear failure (not a skip) when it is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
                    "Run `scripts/setup.sh --browser` to install it.")
    return CHROMIUM


@contextlib.contextmanager
def jupyter_app(app: str, app_class: str, qnb_home: Path, tmp_path: Path, jupyter_launcher,
                request: pytest.FixtureRequest) -> Iterator[Lab]:
    """``jupyter <app>`` on a free loopback port, with this test's QNB_HOME, its own config
    and ``quantum.ipynb``; its log is kept in the artifacts."""
    root = tmp_path / f"{app}-root"
    root.mkdir()
    write_notebook(root / "quantum.ipynb")
    quiet_lab_settings(tmp_path / "jupyter-config")
    try:
        server = jupyter_launcher(qnb_home, base=tmp_path, app=app, root=root, token=TOKEN,
                                  args=[f"--{app_class}.expose_app_in_browser=True"],
                                  ready=["/api/status", "/qnb/api/jobs?limit=1"],
                                  timeout=SERVER_START_S, server_class=Lab)
        try:
            yield server
        finally:
            server.stop()
    finally:
        log = tmp_path / f"jupyter-{app}.log"
        if log.exists():
            shutil.copy(log, artifact(f"{request.node.name}-jupyter-{app}.log"))


@contextlib.contextmanager
def browser_page(chromium: Path, url: str, request: pytest.FixtureRequest,
                 stacks: bool = False) -> Iterator[Any]:
    """A headless Debian Chromium page at ``url``, collecting uncaught page errors in
    ``page.qnb_errors`` (with their stacks if ``stacks``); what it showed last is saved."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            pg = browser.new_context(viewport=VIEWPORT).new_page()
            pg.qnb_errors = []
            pg.on("pageerror", lambda exc: pg.qnb_errors.append(
                f"{exc}\n{exc.stack}" if stacks else str(exc)))
            pg.goto(url, timeout=LAB_LOAD)
            pg.wait_for_function("() => !!window.jupyterapp", timeout=LAB_LOAD)
            yield pg
            with contextlib.suppress(Exception):  # what the page showed last, e.g. on failure
                pg.screenshot(path=artifact(f"{request.node.name}-last.png"), timeout=10_000)
        finally:
            browser.close()


@pytest.fixture
def lab(chromium: Path, qnb_home: Path, tmp_path: Path, jupyter_launcher,
        request: pytest.FixtureRequest) -> Iterator[Lab]:
    """``jupyter lab`` on a free loopback port, with this test's QNB_HOME and its own config."""
    with jupyter_app("lab", "LabApp", qnb_home, tmp_path, jupyter_launcher, request) as server:
        yield server


@pytest.fixture
def page(chromium: Path, lab: Lab, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh JupyterLab workspace in headless Debian Chromium (last view saved at the end)."""
    workspace = f"qnb-{uuid.uuid4().hex[:10]}"
    with browser_page(chromium, f"{lab.url}/lab/workspaces/{workspace}?reset&token={lab.token}",
                      request) as pg:
        pg.wait_for_selector("#jp-main-dock-panel", timeout=LAB_LOAD)
        yield pg


def open_jobs_panel(page: Any) -> None:
    """Click the Quantum Jobs tab of the left sidebar and wait for the first listing."""
    tab = page.locator('.jp-SideBar [data-id="qnb-jobs-panel"]')
    tab.wait_for(timeout=UI)
    tab.click()
    page.wait_for_selector(".qnb-JobsPanel:visible", timeout=UI)
    page.wait_for_function(
        "() => { const r = document.querySelector('.qnb-JobsPanel .qnb-PageRange');"
        " return r && r.textContent !== 'Loading…'; }", timeout=UI)


def row(job_id: str, status: str | None = None) -> str:
    sel = f"tr.qnb-JobRow[data-job-id='{job_id}']"
    return sel + (f"[data-status='{status}']" if status else "")


def details(job_id: str, status: str | None = None) -> str:
    sel = f".qnb-JobDetails[data-job-id='{job_id}']"
    return sel + (f"[data-status='{status}']" if status else "")


def run_cell(page: Any, index: int, source: str) -> None:
    """Type into the notebook's code cell ``index`` and run it (Shift+Enter), as a user does."""
    cell = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").nth(index)
    cell.wait_for(timeout=UI)
    cell.locator(".cm-content").click()
    page.keyboard.type(source)
    page.keyboard.press("Shift+Enter")
    # finished when the prompt shows an execution count
    prompt = cell.locator(".jp-InputPrompt")
    try:
        page.wait_for_function(
            "el => /\\[\\d+\\]/.test(el.textContent)", arg=prompt.element_handle(),
            timeout=KERNEL_START)
    except Exception as exc:
        raise AssertionError(f"cell {index} did not finish: {cell.inner_text()[:2000]}") from exc
    errors = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"cell {index} failed:\n{errors.all_inner_texts()}"


def seen_at(page: Any, kind: str, job_id: str, status: str) -> float | None:
    """When (browser clock, ms) the row or details view of the job first showed this status."""
    key = f"{kind}:{job_id}:{status}"
    return page.evaluate("k => (window.__qnbSeen || {})[k] ?? null", key)


def panel_lag_s(page: Any, kind: str, job: dict[str, Any]) -> float:
    """Seconds from the job's final status in the store to the panel showing it."""
    seen = seen_at(page, kind, job["id"], job["status"])
    assert seen is not None, f"the panel's {kind} never showed {job['id']} as {job['status']}"
    return (seen - epoch_ms(job["finished_at"])) / 1000


def change_theme(page: Any, theme: str) -> None:
    page.evaluate("t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})",
                  theme)
    page.wait_for_function("t => document.body.dataset.jpThemeName === t", arg=theme,
                           timeout=UI)
    page.wait_for_timeout(800)  # let the theme's CSS settle before a screenshot


def record_timings(name: str, data: dict[str, Any]) -> None:
    path = artifact("browser-timings.json")
    try:
        all_data = json.loads(path.read_text())
    except (OSError, ValueError):
        all_data = {}
    all_data[name] = dict(data, at=datetime.now().isoformat(timespec="seconds"))
    path.write_text(json.dumps(all_data, indent=2) + "\n")


def test_submit_from_notebook_watch_done_and_cancel_in_panel(lab: Lab, page: Any) -> None:
    t0 = time.monotonic()
    # Open the notebook from the file browser; its kernel starts.
    page.locator(".jp-DirListing-item", has_text="quantum.ipynb").dblclick(timeout=UI)
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-CodeCell .cm-content", timeout=UI)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=KERNEL_START)
    kernel_ready_s = time.monotonic() - t0
    kernel_id = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")

    open_jobs_panel(page)
    assert page.locator(".qnb-JobsPanel .qnb-Empty").inner_text().startswith("No quantum jobs")
    page.evaluate(OBSERVER_JS)

    # %load_ext qnb, then a Bell circuit with %%qsubmit.
    run_cell(page, 0, "%load_ext qnb")
    run_cell(page, 1, BELL_CELL)
    bell = lab.find_job("bell")
    page.wait_for_selector(row(bell["id"]), timeout=UI)
    page.wait_for_selector(row(bell["id"], "DONE"), timeout=JOB_DONE)
    done = lab.job(bell["id"])
    assert done["status"] == "DONE" and done["origin"] == f"kernel:{kernel_id}"
    lag_s = panel_lag_s(page, "row", done)
    print(f"panel row showed DONE {lag_s:.2f} s after the store's DONE")
    first_status = min(("QUEUED", "RUNNING", "DONE"),
                       key=lambda s: seen_at(page, "row", bell["id"], s) or float("inf"))
    assert lag_s < MAX_PANEL_LAG_S, f"the panel showed DONE {lag_s:.2f} s after the store"

    # The details view: status, fields and one histogram bar per outcome.
    page.click(row(bell["id"]))
    page.wait_for_selector(details(bell["id"], "DONE") + " svg.qnb-Histogram", timeout=UI)
    counts = done["counts"][0]
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 1000
    bars = page.locator(details(bell["id"]) + " rect.qnb-Bar")
    assert bars.count() == len(counts)
    shown = {b.get_attribute("data-key"): int(b.get_attribute("data-count"))
             for b in bars.all()}
    assert shown == counts
    info = page.locator(details(bell["id"])).inner_text()
    assert "bell" in info and bell["id"] in info and "1,000" in info
    assert page.locator(details(bell["id"]) + " .qnb-CancelButton").is_disabled()
    # The cell's output was replaced by the static histogram and counts table.
    page.wait_for_selector(".jp-OutputArea-output .qnb-job svg.qnb-histogram", timeout=UI)
    cell_table = page.locator(".jp-OutputArea-output .qnb-job table.qnb-counts").inner_text()
    assert "00" in cell_table and "11" in cell_table
    page.screenshot(path=artifact("browser-light-details.png"))

    # A long job (24 qubits, many layers), cancelled from the panel while it runs.
    page.click(details(bell["id"]) + " .qnb-BackButton")
    run_cell(page, 2, LONG_CELL)
    long = lab.find_job("long24")
    page.wait_for_selector(row(long["id"], "RUNNING"), timeout=JOB_DONE)
    page.click(row(long["id"]))
    page.wait_for_selector(details(long["id"], "RUNNING"), timeout=UI)
    cancel = page.locator(details(long["id"]) + " .qnb-CancelButton")
    assert cancel.is_enabled()
    page.screenshot(path=artifact("browser-light-running.png"))
    cancel.click()
    page.wait_for_selector(details(long["id"], "CANCELLED"), timeout=60_000)
    cancelled = lab.job(long["id"])
    assert cancelled["status"] == "CANCELLED" and cancelled["cancel_requested"]
    assert "counts" not in cancelled or not cancelled["counts"]
    cancel_lag_s = panel_lag_s(page, "details", cancelled)
    print(f"details showed CANCELLED {cancel_lag_s:.2f} s after the store")
    assert cancel.is_disabled()
    page.click(details(long["id"]) + " .qnb-BackButton")
    page.wait_for_selector(row(long["id"], "CANCELLED"), timeout=UI)
    page.wait_for_selector(row(bell["id"], "DONE"), timeout=UI)
    page.screenshot(path=artifact("browser-light-list.png"))

    # The same views in the dark theme.
    change_theme(page, "JupyterLab Dark")
    page.screenshot(path=artifact("browser-dark-list.png"))
    page.click(row(bell["id"]))
    page.wait_for_selector(details(bell["id"], "DONE") + " svg.qnb-Histogram", timeout=UI)
    assert page.locator(details(bell["id"]) + " rect.qnb-Bar").count() == len(counts)
    page.screenshot(path=artifact("browser-dark-details.png"))

    assert not page.qnb_errors, f"uncaught errors in the page: {page.qnb_errors}"
    record_timings("notebook_submit_done_cancel", {
        "kernel_ready_s": round(kernel_ready_s, 2),
        "row_done_lag_s": round(lag_s, 3),
        "row_first_status": first_status,
        "details_cancelled_lag_s": round(cancel_lag_s, 3),
        "test_s": round(time.monotonic() - t0, 1),
    })


def toast(page: Any, text: str) -> Any:
    return page.locator(".Toastify__toast", has_text=text)


def test_quick_jobs_in_their_notebook_stay_quiet_and_the_others_notify(lab: Lab,
                                                                        page: Any) -> None:
    """The notification rules of the Quantum Jobs settings (defaults from its schema): a job
    that ended within 5 s in the notebook on screen needs no notification, its cell shows it;
    a job from elsewhere (REST here) notifies."""
    settings = lab.api("GET", "/lab/api/settings/qnb-labextension:plugin")
    props = settings["schema"]["properties"]
    assert settings["schema"]["title"] == "Quantum Jobs"
    assert (props["minSeconds"]["default"], props["collapseAbove"]["default"],
            props["desktop"]["default"]) == (5, 3, False)
    page.locator(".jp-DirListing-item", has_text="quantum.ipynb").dblclick(timeout=UI)
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-CodeCell .cm-content", timeout=UI)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=KERNEL_START)
    open_jobs_panel(page)
    first = lab.api("POST", "/qnb/api/jobs", {"qasm": BELL_QASM, "name": "from-rest"})
    toast(page, f"from-rest ({first['id']}) finished on aer").wait_for(timeout=JOB_DONE)
    run_cell(page, 0, "%load_ext qnb")
    run_cell(page, 1, BELL_CELL)  # the runner is warm: it ends within a second
    bell = lab.wait_status(lab.find_job("bell")["id"], {"DONE"}, JOB_DONE / 1000)
    assert epoch_ms(bell["finished_at"]) - epoch_ms(bell["created_at"]) < 5000
    page.wait_for_selector(row(bell["id"], "DONE"), timeout=UI)
    later = lab.api("POST", "/qnb/api/jobs", {"qasm": BELL_QASM, "name": "later-rest"})
    # notices come in the order jobs end: once this one shows, the bell's ending was weighed
    toast(page, f"later-rest ({later['id']}) finished").wait_for(timeout=JOB_DONE)
    assert toast(page, bell["id"]).count() == 0, "a quick job in view notified"


def qnb_cli(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "qnb.cli", *args, "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_panel_lists_jobs_of_other_processes_and_filters_by_status(
        lab: Lab, page: Any, tmp_path: Path) -> None:
    bell_file = tmp_path / "bell.qasm"
    bell_file.write_text(BELL_QASM)
    long_file = tmp_path / "long.qasm"
    long_file.write_text(long_qasm())
    done_ids = [qnb_cli("submit", str(bell_file), "-n", f"cli-bell-{i}", "-s", "200", "--wait")["id"]
                for i in range(2)]
    long_id = qnb_cli("submit", str(long_file), "-n", "cli-long", "-s", "10")["id"]
    subprocess.run([sys.executable, "-m", "qnb.cli", "cancel", long_id], check=True,
                   capture_output=True, timeout=300)
    lab.wait_status(long_id, {"CANCELLED"}, timeout=120)

    open_jobs_panel(page)
    page.evaluate(OBSERVER_JS)
    for job_id in done_ids:
        page.wait_for_selector(row(job_id, "DONE"), timeout=UI)
    page.wait_for_selector(row(long_id, "CANCELLED"), timeout=UI)
    assert page.locator("tr.qnb-JobRow").count() == 3
    assert page.locator(".qnb-PageRange").inner_text().endswith("of 3")

    # A job submitted by another process while the panel is open appears on its own.
    live = qnb_cli("submit", str(bell_file), "-n", "cli-live", "-s", "100")["id"]
    page.wait_for_selector(row(live), timeout=UI)
    page.wait_for_selector(row(live, "DONE"), timeout=JOB_DONE)
    done_ids.append(live)
    lag_s = panel_lag_s(page, "row", lab.job(live))
    print(f"panel row of a CLI job showed DONE {lag_s:.2f} s after the store's DONE")
    assert lag_s < MAX_PANEL_LAG_S

    def shown() -> dict[str, str]:
        return {r.get_attribute("data-job-id"): r.get_attribute("data-status")
                for r in page.locator("tr.qnb-JobRow").all()}

    def wait_rows(ids: set[str]) -> None:
        page.wait_for_function(
            "ids => { const got = [...document.querySelectorAll('tr.qnb-JobRow')]"
            ".map(r => r.dataset.jobId).sort(); return JSON.stringify(got) === JSON.stringify(ids); }",
            arg=sorted(ids), timeout=UI)

    page.select_option("select.qnb-StatusFilter", "DONE")
    wait_rows(set(done_ids))
    assert set(shown().values()) == {"DONE"}
    assert page.locator(".qnb-PageRange").inner_text().endswith("of 3")
    page.screenshot(path=artifact("browser-light-filter-done.png"))

    page.select_option("select.qnb-StatusFilter", "CANCELLED")
    wait_rows({long_id})

    page.select_option("select.qnb-StatusFilter", "RUNNING")
    wait_rows(set())
    empty = page.locator(".qnb-JobsPanel .qnb-Empty")
    assert empty.is_visible() and "No jobs match" in empty.inner_text()

    page.select_option("select.qnb-StatusFilter", "")
    wait_rows({*done_ids, long_id})
    assert re.search(r"of 4$", page.locator(".qnb-PageRange").inner_text())

    # Search (issue 14): the box filters by name; clearing it shows every job again.
    page.fill("input.qnb-SearchInput", "cli-live")
    wait_rows({live})
    page.fill("input.qnb-SearchInput", "")
    wait_rows({*done_ids, long_id})

    # Tags (issue 14): a job's chip filters the list by its tag.
    subprocess.run([sys.executable, "-m", "qnb.cli", "tag", done_ids[0], "+pair"], check=True,
                   capture_output=True, timeout=300)
    chip = page.locator(f"{row(done_ids[0])} .qnb-Chip", has_text="pair")
    chip.wait_for(timeout=UI)
    chip.click()
    wait_rows({done_ids[0]})
    page.locator(".qnb-JobsPanel [aria-label='Show jobs of every tag']").click()
    wait_rows({*done_ids, long_id})

    # Compare (issue 13): two checked Bell jobs overlay, nearly identical distributions.
    # a cancelled job has no counts to compare: its box says so and cannot be checked
    assert page.locator(f"{row(long_id)} input.qnb-CompareCheck").get_attribute(
        "aria-disabled") == "true"
    for job_id in done_ids[:2]:
        page.locator(f"{row(job_id)} input.qnb-CompareCheck").check()
    assert "2 selected" in page.locator(".qnb-CheckedCount").inner_text()
    page.locator("button.qnb-CompareButton").click()
    pair = page.locator("tr.qnb-ComparePair").first
    pair.wait_for(timeout=UI)
    tvd = float(pair.locator(".qnb-CompareTvd").inner_text())
    fidelity = float(pair.locator(".qnb-CompareFidelity").inner_text())
    assert tvd < 0.2 and fidelity > 0.95, (tvd, fidelity)  # Bell against Bell
    page.screenshot(path=artifact("browser-light-compare.png"))
    assert not page.qnb_errors, f"uncaught errors in the page: {page.qnb_errors}"
    record_timings("cli_jobs_and_filter", {"row_done_lag_s": round(lag_s, 3)})


# Colours from the theme (issue 13)

#: the computed value of a CSS variable, as the browser resolves it inside ``selector``
THEME_VAR_JS = """([selector, variable]) => {
  const probe = document.createElement('span');
  probe.style.color = `var(${variable})`;
  document.querySelector(selector).appendChild(probe);
  const value = getComputedStyle(probe).color;
  probe.remove();
  return value;
}"""

#: what a user sees of the elements matching ``selector``: the bars' fill, the chart text's
#: fill, light (white or near-white) backgrounds inside them, and the opaque background
#: that shows behind each (its nearest opaque ancestor's)
COLOURS_JS = """selector => {
  const rgb = c => {
    const m = /rgba?\\(([^)]*)\\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const light = c => !!c && c.a > 0.5 && c.r >= 240 && c.g >= 240 && c.b >= 240;
  const name = el => el.tagName.toLowerCase() +
    (el.getAttribute('class') ? '.' + el.getAttribute('class').trim().split(/\\s+/).join('.') : '');
  const shown = el => el.getClientRects().length > 0;
  const out = {bars: [], text: [], light: [], behind: [], images: 0};
  for (const root of document.querySelectorAll(selector)) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (!shown(el)) continue;
      const style = getComputedStyle(el);
      const chart = el.closest('svg.qnb-chart, svg.qnb-Histogram');
      if (light(rgb(style.backgroundColor))) {
        out.light.push(`${name(el)}: background ${style.backgroundColor}`);
      }
      if (el.matches('rect.qnb-bar:not([data-others]), rect.qnb-Bar')) {
        out.bars.push(style.fill);
      } else if (chart && el.matches('rect') && light(rgb(style.fill))) {
        out.light.push(`${name(el)}: fill ${style.fill}`);
      }
      if (chart && el.matches('text')) out.text.push(style.fill);
      if (el.matches('img')) out.images += 1;
    }
    let el = root;
    while (el && !(rgb(getComputedStyle(el).backgroundColor)?.a > 0.5)) el = el.parentElement;
    out.behind.push(el ? getComputedStyle(el).backgroundColor : 'none');
  }
  return out;
}"""

# the three views of a job, as CSS selectors
CELL_OUTPUT = ".jp-NotebookPanel .jp-OutputArea-output:has(.qnb-job-static)"
WIDGET_OUTPUT = ".jp-NotebookPanel .jp-OutputArea-output:has(.jupyter-widgets.qnb-job)"
PANEL = ".qnb-JobsPanel"


def luminance(colour: str) -> float:
    """Relative lightness (0 black .. 1 white) of a computed ``rgb()`` / ``rgba()`` colour."""
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


SCROLL_JOBS = 3000

# the job row at the top of the list's view (under its sticky header), and the range shown
TOP_ROW_JS = """() => {
  const scroller = document.querySelector('.qnb-JobsPanel .qnb-TableScroller');
  const box = scroller.getBoundingClientRect();
  const head = scroller.querySelector('thead th').getBoundingClientRect();  // sticky: in view
  const el = document.elementFromPoint(box.left + 40, head.bottom + 3);
  const row = el && el.closest('tr.qnb-JobRow');
  return {name: row ? row.querySelector('.qnb-JobName').textContent : null,
          id: row ? row.dataset.jobId : null,
          y: row ? row.getBoundingClientRect().top : null,
          range: document.querySelector('.qnb-JobsPanel .qnb-PageRange').textContent,
          rows: scroller.querySelectorAll('tr.qnb-JobRow').length,
          height: scroller.scrollHeight, view: scroller.clientHeight, top: scroller.scrollTop};
}"""


def _seed_jobs(home: Path, n: int, first: int = 0) -> None:
    """``n`` finished jobs named ``scroll-NNNN``, one second apart (the highest number newest),
    written to the store as the runner writes them."""
    from qnb.models import JobRecord, JobStatus
    from qnb.store import get_store, new_job_id

    store = get_store(home)
    base = time.time() - 10 * n
    for i in range(first, first + n):
        rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                        shots=100, created_at=base + i, name=f"scroll-{i:04d}",
                        summary={"num_qubits": 2, "depth": 3})
        store.add_job(rec, "qpy", b"\0" * 100)
        store.claim(rec.id)
        store.finish(rec.id, JobStatus.DONE, result={"counts": [{"00": 100}]})


def _top_row_matches_range(page: Any, total: int) -> dict[str, Any]:
    """Wait until the row at the top of the view is a job's (not a stretch still loading)
    and it is the job the range says: the N-th newest of ``total`` is ``scroll-{total-N}``
    (or the next, when the N-th shows only its last pixels under the header)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([js, total]) => { const t = eval(js)(); const m = /^([\\d,]+)–/.exec(t.range);"
            " if (!t.name || !m) return false; const n = Number(m[1].replace(/,/g, ''));"
            # the first row in view may show only a pixel or two above the probe's row
            " const named = k => 'scroll-' + String(total - k).padStart(4, '0');"
            " return t.name === named(n) || t.name === named(n + 1); }",
            arg=[TOP_ROW_JS, total], timeout=UI)
    except PlaywrightTimeout:
        pytest.fail(f"the top row is not the job the range names: {page.evaluate(TOP_ROW_JS)}")
    return page.evaluate(TOP_ROW_JS)


def test_panel_scrolls_through_thousands_of_jobs_in_a_virtualised_list(
        lab: Lab, page: Any, qnb_home: Path) -> None:
    """Issue 14: the table holds a window of rows while its scrollbar spans every job; the
    wheel and a jump to the middle both bring the jobs that belong there; a new job shows at
    the top of a list read from its top, and jobs arriving above do not move a row being
    read further down; the place survives the details view and the sidebar closing."""
    total = SCROLL_JOBS
    _seed_jobs(qnb_home, total)
    open_jobs_panel(page)
    start = _top_row_matches_range(page, total)
    assert start["name"] == f"scroll-{total - 1:04d}" and start["range"].startswith("1–")
    assert start["range"].endswith(f"of {total:,}")
    assert start["rows"] <= 200, f"{start['rows']} rows in the DOM: the list is not windowed"
    assert start["height"] >= total * 15, "the scrollbar does not span every job"

    # a new job, while the list is read from its top: it shows there
    _seed_jobs(qnb_home, 1, first=total)
    total += 1
    page.wait_for_function(
        f"() => document.querySelector('.qnb-JobsPanel .qnb-PageRange').textContent"
        f".endsWith('of {total:,}')", timeout=UI)
    newest = _top_row_matches_range(page, total)
    assert newest["name"] == f"scroll-{total - 1:04d}", newest

    # the wheel, a notch at a time, far past the first window
    scroller = page.locator(".qnb-JobsPanel .qnb-TableScroller")
    scroller.hover()
    for _ in range(30):
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(30)
    wheeled = _top_row_matches_range(page, total)
    first = int(wheeled["range"].split("–")[0].replace(",", ""))
    assert first > 200, wheeled
    assert wheeled["rows"] <= 200

    # the scrollbar dragged to the middle
    page.evaluate("() => { const s = document.querySelector('.qnb-JobsPanel .qnb-TableScroller');"
                  " s.scrollTop = s.scrollHeight / 2; }")
    middle = _top_row_matches_range(page, total)
    first = int(middle["range"].split("–")[0].replace(",", ""))
    assert abs(first - total / 2) < total / 10, middle
    page.screenshot(path=artifact("browser-light-virtual-list.png"))

    # a job's details, and back: the list is where it was
    page.click(row(middle["id"]))
    page.wait_for_selector(details(middle["id"]), timeout=UI)
    page.click(details(middle["id"]) + " .qnb-BackButton")
    back = _top_row_matches_range(page, total)
    assert back["id"] == middle["id"], (middle, back)
    # the sidebar collapsed (a click on its tab) and opened again: still there
    tab = page.locator('.jp-SideBar [data-id="qnb-jobs-panel"]')
    tab.click()
    page.wait_for_selector(".qnb-JobsPanel", state="hidden", timeout=UI)
    tab.click()
    reopened = _top_row_matches_range(page, total)
    assert reopened["id"] == middle["id"], (middle, reopened)

    # new jobs arrive above: the row being read stays where it is
    _seed_jobs(qnb_home, 5, first=total)
    total += 5
    page.wait_for_function(
        f"() => document.querySelector('.qnb-JobsPanel .qnb-PageRange').textContent"
        f".endsWith('of {total:,}')", timeout=UI)
    page.wait_for_timeout(300)
    after = page.evaluate(TOP_ROW_JS)
    assert after["id"] == middle["id"], (middle, after)
    assert abs(after["y"] - middle["y"]) <= 2, (middle, after)

    # the end of the list
    page.evaluate("() => { const s = document.querySelector('.qnb-JobsPanel .qnb-TableScroller');"
                  " s.scrollTop = s.scrollHeight; }")
    page.wait_for_selector("tr.qnb-JobRow:has(.qnb-JobName:text-is('scroll-0000'))", timeout=UI)
    end = page.evaluate(TOP_ROW_JS)
    assert end["range"].endswith(f"{total:,} of {total:,}"), end


def test_job_views_take_their_colours_from_the_theme(lab: Lab, page: Any, tmp_path: Path) -> None:
    """The cell's saved rendering, the live widget and the sidebar in JupyterLab Light and Dark:
    bars in the theme's brand colour, text in its font colour, no white box in the dark theme."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page.locator(".jp-DirListing-item", has_text="quantum.ipynb").dblclick(timeout=UI)
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-CodeCell .cm-content", timeout=UI)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=KERNEL_START)
    run_cell(page, 0, "%load_ext qnb")
    run_cell(page, 1, BELL_CELL.replace("-s 1000", "-s 1000 -o bell"))
    bell = lab.find_job("bell")
    lab.wait_status(bell["id"], {"DONE"}, timeout=JOB_DONE / 1000)
    page.wait_for_selector(f"{CELL_OUTPUT} svg.qnb-histogram", timeout=UI)
    run_cell(page, 2, "bell.widget")
    page.wait_for_selector(f"{WIDGET_OUTPUT} svg.qnb-histogram", timeout=UI)
    open_jobs_panel(page)
    page.click(row(bell["id"], "DONE"), timeout=UI)
    page.wait_for_selector(details(bell["id"], "DONE") + " svg.qnb-Histogram", timeout=UI)
    page.mouse.move(VIEWPORT["width"] - 5, VIEWPORT["height"] // 2)  # no bar under the mouse

    seen: dict[str, dict[str, Any]] = {}
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        change_theme(page, theme)
        key = theme.split()[-1].lower()
        files = {}
        for view, selector in (("cell", CELL_OUTPUT), ("widget", WIDGET_OUTPUT), ("panel", PANEL)):
            files[view] = shots / f"{key}-{view}.png"
            page.locator(selector).first.screenshot(path=files[view])
        brand = page.evaluate(THEME_VAR_JS, [CELL_OUTPUT, "--jp-brand-color1"])
        views = {view: page.evaluate(COLOURS_JS, selector)
                 for view, selector in (("cell", CELL_OUTPUT), ("widget", WIDGET_OUTPUT),
                                        ("panel", PANEL))}
        seen[key] = {"brand": brand, "views": views, "files": files}
        for view, got in views.items():
            where = f"the {view} in {theme} (see {files[view]})"
            assert len(got["bars"]) == 2, f"{where}: expected the 2 Bell bars, got {got['bars']}"
            assert set(got["bars"]) == {brand}, \
                f"{where}: bars are {got['bars']}, the theme's brand colour is {brand}"
            assert got["images"] == 0, f"{where}: the chart is an image, not themed SVG"
            text = [luminance(c) for c in got["text"]]
            if key == "dark":
                assert not got["light"], f"{where}: white backgrounds {got['light']}"
                assert all(luminance(c) < 0.3 for c in got["behind"]), \
                    f"{where}: shown on {got['behind']}, not the dark theme's background"
                assert text and min(text) > 0.6, f"{where}: chart text {got['text']} is not light"
            else:
                assert text and max(text) < 0.4, f"{where}: chart text {got['text']} is not dark"
    assert seen["light"]["brand"] != seen["dark"]["brand"], \
        f"the bars kept one colour across themes: {seen['light']['brand']}"
    assert not page.qnb_errors, f"uncaught errors in the page: {page.qnb_errors}"


def test_panel_shows_a_resource_estimate_as_figures(lab: Lab, page: Any, tmp_path: Path) -> None:
    """A job of the built-in resource estimator, opened in the sidebar: no shots, the
    physical qubits and runtime the estimator gave, where the qubits go and the error budget
    as bars in the theme's colours."""
    qft = tmp_path / "qft.qasm"
    qft.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\ncreg c[4];\n'
                   "h q[0];\ncp(pi/2) q[1],q[0];\nh q[1];\ncp(pi/4) q[2],q[0];\n"
                   "cp(pi/2) q[2],q[1];\nh q[2];\nccx q[0],q[1],q[3];\nt q[3];\n"
                   "measure q -> c;\n")
    job_id = qnb_cli("submit", str(qft), "-b", "azure-estimator", "-n", "qft4", "--wait")["id"]
    (figures,) = lab.job(job_id)["estimates"]
    open_jobs_panel(page)
    page.click(row(job_id, "DONE"), timeout=UI)
    view = details(job_id, "DONE")
    page.wait_for_selector(f"{view} .qnb-Estimates svg.qnb-SplitBar", timeout=UI)
    fields = page.locator(f"{view} > .qnb-Fields").inner_text()
    assert "Resource estimate" in fields and "Shots" not in fields, fields
    headline = page.locator(f"{view} .qnb-EstimateHeadline").inner_text()
    assert headline == (f"{figures['physical_qubits']:,} physical qubits · runtime "
                        f"{figures['runtime']}"), headline
    parts = page.locator(f"{view} rect.qnb-SplitPart")
    assert {parts.nth(i).get_attribute("data-part") for i in range(parts.count())} >= {
        "algorithm", "t_factories", "logical"}
    brand = page.evaluate(THEME_VAR_JS, [PANEL, "--jp-brand-color1"])
    algorithm = page.locator(f"{view} rect.qnb-SplitPart[data-part='algorithm']")
    assert algorithm.evaluate("r => getComputedStyle(r).fill") == brand
    page.locator(view).screenshot(path=artifact("browser-estimate-details.png"))
    assert not page.qnb_errors, f"uncaught errors in the page: {page.qnb_errors}"


# Jupyter Notebook 7 (the ``notebook`` package)

#: Notebook 7's left side area (a lumino panel that holds the side panels)
LEFT_AREA = "#jp-left-stack"


def notebook_own_error(error: str) -> bool:
    """Notebook 7.6.5 itself raises one uncaught error while it loads settings, with or
    without qnb installed: "Cannot read properties of undefined (reading 'schema')", from its
    shortcuts plugin in ``/static/notebook/notebook_core.*.js``."""
    frames = [line for line in error.splitlines()[1:] if line.strip().startswith("at ")]
    return "reading 'schema'" in error and all(
        "/static/notebook/" in f or "Promise.all" in f for f in frames)


@pytest.fixture
def notebook7(chromium: Path, qnb_home: Path, tmp_path: Path, jupyter_launcher,
              request: pytest.FixtureRequest) -> Iterator[Lab]:
    """``jupyter notebook`` (Notebook 7) on a free loopback port, with this test's QNB_HOME."""
    with jupyter_app("notebook", "JupyterNotebookApp", qnb_home, tmp_path, jupyter_launcher,
                     request) as server:
        yield server


@pytest.fixture
def nb_page(chromium: Path, notebook7: Lab, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Notebook 7's page of ``quantum.ipynb`` in headless Debian Chromium, its kernel idle."""
    with browser_page(chromium, f"{notebook7.url}/notebooks/quantum.ipynb?token={notebook7.token}",
                      request, stacks=True) as pg:
        pg.wait_for_selector(".jp-NotebookPanel .jp-CodeCell .cm-content", timeout=LAB_LOAD)
        pg.wait_for_function(KERNEL_IDLE_JS, timeout=KERNEL_START)
        yield pg


def open_panel_from_view_menu(page: Any) -> Any:
    """View > Left Sidebar > Show Quantum Jobs, as a Notebook 7 user opens a side panel;
    returns the panel, once it has its first listing."""
    page.locator(".lm-MenuBar-item", has_text="View").click(timeout=UI)
    page.locator(".lm-Menu-item", has_text="Left Sidebar").click(timeout=UI)
    page.locator(".lm-Menu-item", has_text="Show Quantum Jobs").click(timeout=UI)
    panel = page.locator(f"{LEFT_AREA} .qnb-JobsPanel")
    panel.wait_for(state="visible", timeout=UI)
    page.wait_for_function(
        "() => { const r = document.querySelector('.qnb-JobsPanel .qnb-PageRange');"
        " return r && r.textContent !== 'Loading…'; }", timeout=UI)
    return panel


def test_notebook7_magics_widget_and_jobs_panel(notebook7: Lab, nb_page: Any,
                                                tmp_path: Path) -> None:
    page = nb_page
    shots = tmp_path / "screenshots"
    shots.mkdir()

    # The panel is a side panel of Notebook 7, closed until the user opens it.
    assert page.locator(f"{LEFT_AREA} .qnb-JobsPanel").count() == 1, \
        "the Quantum Jobs panel was not added to Notebook 7's left side area"
    assert not page.locator(".qnb-JobsPanel").is_visible()
    panel = open_panel_from_view_menu(page)
    assert panel.locator(".qnb-Empty").inner_text().startswith("No quantum jobs")

    # %load_ext qnb, then a Bell circuit with %%qsubmit.
    run_cell(page, 0, "%load_ext qnb")
    run_cell(page, 1, BELL_CELL.replace("-s 1000", "-s 1000 -o bell"))
    bell = notebook7.find_job("bell")
    page.wait_for_selector(f"{LEFT_AREA} {row(bell['id'])}", timeout=UI)
    page.wait_for_selector(f"{LEFT_AREA} {row(bell['id'], 'DONE')}", timeout=JOB_DONE)
    done = notebook7.job(bell["id"])
    counts = done["counts"][0]
    assert done["status"] == "DONE" and set(counts) == {"00", "11"}

    # The cell's output: the static SVG histogram, one bar per outcome, and the counts table.
    output = page.locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea-output")
    bars = output.locator(".qnb-job svg.qnb-histogram rect.qnb-bar[data-key]")
    bars.first.wait_for(timeout=UI)
    shown = {b.get_attribute("data-key"): int(b.get_attribute("data-count")) for b in bars.all()}
    assert shown == counts, f"the cell's histogram shows {shown}, the store has {counts}"
    table = output.locator("table.qnb-counts").inner_text()
    assert "00" in table and "11" in table
    page.screenshot(path=shots / "notebook7-cell.png")

    # The live widget renders in Notebook 7 and answers its controls (a comm round trip).
    run_cell(page, 2, "bell.widget")
    widget = page.locator(".jp-CodeCell").nth(2).locator(".jupyter-widgets.qnb-job")
    widget.wait_for(timeout=UI)
    chart = widget.locator("svg.qnb-histogram")
    chart.wait_for(timeout=UI)
    assert "DONE" in widget.locator(".qnb-job-header").inner_text()
    assert chart.locator("rect.qnb-bar[data-key]").count() == len(counts)
    linear = chart.evaluate("el => el.outerHTML")
    widget.get_by_text("log scale").click()
    page.wait_for_function(
        "([el, old]) => el.isConnected ? el.outerHTML !== old : true",
        arg=[chart.element_handle(), linear], timeout=UI)
    assert widget.locator("svg.qnb-histogram").evaluate("el => el.outerHTML") != linear, \
        "the widget's histogram did not change when 'log scale' was ticked"
    page.screenshot(path=shots / "notebook7-widget.png")

    # The panel lists the job, and its details show the counts.
    page.click(f"{LEFT_AREA} {row(bell['id'])}")
    page.wait_for_selector(f"{LEFT_AREA} {details(bell['id'], 'DONE')} svg.qnb-Histogram",
                           timeout=UI)
    assert page.locator(f"{LEFT_AREA} tr.qnb-JobRow").count() == 1
    page.screenshot(path=shots / "notebook7-panel.png")

    errors = [e for e in page.qnb_errors if not notebook_own_error(e)]
    assert not errors, f"uncaught errors in the page: {errors} (screenshots in {shots})"
