"""The Quantum Jobs sidebar in a real browser (Debian's Chromium through Playwright) over a
store of 100,000 jobs (5,000 quick): how long from a click on its tab (JupyterLab started,
the panel closed) to its first rows; how smoothly its virtualised list scrolls (frame
intervals under the wheel, blank frames, the wait after a jump of the scrollbar); and how
long a job's change written to the store takes to show in the open panel (pushed over the
change socket, then fetched), from the write to the row showing it."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from .common import fresh_home, summary, tests_module
from .store_api import _fill
from .store_scale import _grow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SEED_JOBS = 2000
TIMEOUT_MS = 120_000


def _running_jobs(store: Any, n: int) -> list[str]:
    """``n`` jobs left RUNNING (newest: on the panel's first page), for the bench to end."""
    from qnb.models import JobRecord, JobStatus
    from qnb.store import new_job_id

    ids = []
    for i in range(n):
        rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                        shots=100, created_at=time.time(), name=f"watched{i}",
                        summary={"num_qubits": 2, "depth": 3})
        store.add_job(rec, "qpy", b"\0" * 600)
        store.claim(rec.id)
        ids.append(rec.id)
    return ids


def sidebar(quick: bool) -> dict[str, Any]:
    if not CHROMIUM.exists():
        return {"skipped": {"all": f"{CHROMIUM} is missing (scripts/setup.sh --browser "
                                   "installs Debian's Chromium)"}}
    from playwright.sync_api import sync_playwright

    from qnb.models import JobStatus
    from qnb.store import get_store

    total, opens, changes = (5000, 2, 8) if quick else (100_000, 5, 30)
    launcher = tests_module("helpers")
    with fresh_home() as home:
        store = get_store()
        _fill(store, min(SEED_JOBS, total))
        _grow(store, total - changes)
        watched = _running_jobs(store, changes)
        server = launcher.start_jupyter(home / "jupyter", home, app="lab",
                                        args=["--LabApp.expose_app_in_browser=True"],
                                        ready=["/api/status", "/qnb/api/jobs?limit=1"])
        first_rows, lab_load, delays = [], [], []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    for i in range(opens):
                        page = browser.new_page(viewport={"width": 1400, "height": 900})
                        t0 = time.perf_counter()
                        page.goto(f"{server.url}/lab/workspaces/bench{i}?reset&token="
                                  f"{server.token}", timeout=TIMEOUT_MS)
                        tab = page.locator('.jp-SideBar [data-id="qnb-jobs-panel"]')
                        tab.wait_for(timeout=TIMEOUT_MS)  # JupyterLab has started
                        t1 = time.perf_counter()
                        tab.click()
                        page.wait_for_selector("tr.qnb-JobRow", timeout=TIMEOUT_MS)
                        first_rows.append(time.perf_counter() - t1)
                        lab_load.append(t1 - t0)
                        if i < opens - 1:
                            page.close()
                    page.wait_for_timeout(1000)  # the change socket is open by now
                    for job_id in watched:
                        written = time.time()
                        store.finish(job_id, JobStatus.DONE, result={"counts": [{"00": 100}]})
                        page.wait_for_selector(
                            f"tr.qnb-JobRow[data-job-id='{job_id}'][data-status='DONE']",
                            timeout=TIMEOUT_MS)
                        delays.append(time.time() - written)
                        page.wait_for_timeout(250)  # changes one by one, not in a burst
                    scrolling = _scroll(page, total)  # last: the watched rows leave the view
                finally:
                    browser.close()
        finally:
            server.stop()
    return {"jobs": total, "panel_first_rows": summary(first_rows), "lab_load": summary(lab_load),
            "change_to_panel": summary(delays), **scrolling}


# every animation frame while it runs: its time and whether a job row is at the top of the view
FRAMES_JS = """() => {
  const scroller = document.querySelector('.qnb-JobsPanel .qnb-TableScroller');
  const frames = window.__qnbFrames = [];
  window.__qnbFramesOn = true;
  const step = t => {
    const box = scroller.getBoundingClientRect();
    const head = scroller.querySelector('thead th').getBoundingClientRect();
    const el = document.elementFromPoint(box.left + 40, head.bottom + 3);
    frames.push([t, !!(el && el.closest('tr.qnb-JobRow'))]);
    if (window.__qnbFramesOn) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}"""


def _scroll(page: Any, total: int) -> dict[str, Any]:
    """Scroll the open panel's list: 150 wheel notches of 100 px, one per 16 ms (frame
    intervals, and the share of frames whose top of view was still a blank stretch), then
    jumps of the scrollbar to 10 places (until a job row shows at the top of the view)."""
    import random

    page.locator(".qnb-JobsPanel .qnb-TableScroller").hover()
    page.evaluate(FRAMES_JS)
    for _ in range(150):
        page.mouse.wheel(0, 100)
        page.wait_for_timeout(16)
    page.wait_for_timeout(500)
    frames = page.evaluate("() => { window.__qnbFramesOn = false; return window.__qnbFrames; }")
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(frames)]
    blank = sum(1 for _, shown in frames if not shown) / max(1, len(frames))
    jumps = []
    rng = random.Random(14)
    for _ in range(10):
        fraction = rng.uniform(0.05, 0.95)
        t0 = time.perf_counter()
        page.evaluate("f => { const s = document.querySelector('.qnb-JobsPanel .qnb-TableScroller');"
                      " s.scrollTop = f * s.scrollHeight; }", fraction)
        page.wait_for_function(
            "() => { const s = document.querySelector('.qnb-JobsPanel .qnb-TableScroller');"
            " const b = s.getBoundingClientRect(); const h = s.querySelector('thead th')"
            ".getBoundingClientRect(); const el = document.elementFromPoint(b.left + 40, h.bottom + 3);"
            " return !!(el && el.closest('tr.qnb-JobRow')); }", timeout=TIMEOUT_MS)
        jumps.append(time.perf_counter() - t0)
        page.wait_for_timeout(200)
    rows = page.evaluate("() => document.querySelectorAll('.qnb-JobsPanel tr.qnb-JobRow').length")
    return {"scroll_frame_ms": summary([g / 1000 for g in gaps]), "scroll_blank_share": blank,
            "jump_to_rows": summary(jumps), "rows_in_dom": rows, "jobs_listed": total}
