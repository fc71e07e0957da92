"""The notebook as a document: a saved notebook shows each job's final result without a
kernel, charts follow the theme and stay readable, jobs compare, and an interrupt does
what the user meant."""

from __future__ import annotations

import inspect
import math
import re

import nbformat
import pytest
from helpers import bell, ghz, long_circuit, wait_for
from kernel_helpers import execute, running_kernel, text_of

import qnb
from qnb.models import JobStatus
from qnb.notebook.charts import TOP, counts_svg, entropy_bits, expectation_svg
from qnb.store import get_store

SLOW = """
[backends.slow]
provider = "delayed"
queue_seconds = 2
run_seconds = 0
"""

BELL_CELL = """%%qsubmit -b slow -s 1000 --seed 11 -o job -n saved-bell
from qiskit import QuantumCircuit
qc = QuantumCircuit(2)
qc.h(0); qc.cx(0, 1); qc.measure_all()
qc"""

SETTLE_CELL = """import time
counts = job.result().get_counts()
assert job.widget.ended.wait(60), "the job's output was not replaced"
deadline = time.monotonic() + 30
while "DONE" not in table.html and time.monotonic() < deadline:
    time.sleep(0.05)"""


def _bars(svg: str) -> dict[str, str]:
    """Each outcome bar's key and the count it carries (in any attribute order or quotes)."""
    bars = {}
    for tag in re.findall(r"<rect\b[^>]*>", svg):
        key = re.search(r"data-key=[\"']([^\"']*)", tag)
        count = re.search(r"data-count=[\"']([^\"']*)", tag)
        if key and count:
            bars[key[1]] = count[1]
    return bars


def test_a_saved_notebook_shows_each_jobs_final_result_without_a_kernel(qnb_home, tmp_path):
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    (qnb_home / "config.toml").write_text(SLOW)  # queued for 2 s: shown before it ends
    cells = ["%load_ext qnb", BELL_CELL, "table = %qjobs\ntable", SETTLE_CELL,
             "%qresult {job.id}", "job"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)

    saved = nbformat.read(path, as_version=4)  # from here on, no kernel
    nbformat.validate(saved)
    (job,) = qnb.jobs()
    counts = job.counts()
    assert sum(counts.values()) == 1000 and set(counts) <= {"00", "11"}
    expected = {k: f"{v:,}" for k, v in counts.items()}
    for index in (1, 4, 5):  # %%qsubmit's output (replaced when the job ended), %qresult, job
        (out,) = saved.cells[index].outputs
        assert out.output_type == "display_data"
        # only what shows without a kernel: no widget view left to fail to load
        assert set(out.data) == {"text/html", "text/plain"}, index
        html, text = out.data["text/html"], out.data["text/plain"]
        assert "<svg" in html and _bars(html) == expected
        assert f"data-job-id='{job.id}'" in html and "DONE" in html
        assert text.startswith(f"<Job {job.id} 'saved-bell' on slow: DONE>")
        for key, count in counts.items():
            assert re.search(rf"^  {key}\s+{count:,}\s+{count / 1000:.3f}$", text, re.M), text
    (table,) = saved.cells[2].outputs
    assert job.id in table.data["text/plain"] and "DONE" in table.data["text/plain"]
    assert f"data-job-id='{job.id}'" in table.data["text/html"] and "DONE" in table.data["text/html"]
    # nbconvert's HTML (what nbviewer serves) carries the chart itself
    page, _ = HTMLExporter().from_notebook_node(saved)
    page = page.split("application/vnd.jupyter.widget-state+json")[0]  # outputs, not state
    assert len(re.findall(r"<svg[^>]*class=[\"']qnb-chart qnb-histogram", page)) == 3
    assert _bars(page) == expected


# -- charts -------------------------------------------------------------------------------
def test_charts_take_their_colours_from_the_theme_and_paint_no_background():
    svg = counts_svg({"raw": {"00": 480, "11": 470, "01": 50},
                      "mitigated": {"00": 0.51, "11": 0.49}})
    assert "fill:var(--jp-brand-color1,#1976d2)" in svg  # the first series
    assert "fill:var(--jp-warn-color1,#f57c00)" in svg  # the second
    assert "fill:var(--jp-ui-font-color1,currentColor)" in svg  # text
    # without the <style> block (some renderers drop it) text still takes the page's colour
    assert "fill='currentColor'>raw</text>" in svg
    assert not re.search(r"white|#fff\b|#ffffff|background", svg, re.I)
    shapes = re.findall(r"<rect class='([^']*)'", svg)
    assert shapes and all(c.startswith(("qnb-bar", "qnb-s")) for c in shapes)  # no backdrop
    est = expectation_svg([{"evs": 0.5, "stds": 0.1}])
    assert "var(--jp-brand-color1,#1976d2)" in est and "white" not in est


def test_thousands_of_outcomes_show_the_top_ones_others_and_a_summary():
    import random

    rng = random.Random(5)
    counts = {format(rng.getrandbits(22), "022b"): rng.randint(1, 4) for _ in range(3000)}
    top = max(counts, key=counts.get)
    counts[top] = 500
    svg = counts_svg({"counts": counts})
    bars = _bars(svg)
    assert len(bars) == TOP and bars[top] == "500"
    total = sum(counts.values())
    assert f"<title>{top}: 500 ({500 / total:.4f})</title>" in svg  # exact count on hover
    others = re.search(r"data-others='1'><title>([\d,]+) other outcomes: ([\d,]+) \(", svg)
    assert others and int(others[1].replace(",", "")) == len(counts) - TOP
    shown = sum(int(v.replace(",", "")) for v in bars.values())
    assert int(others[2].replace(",", "")) == total - shown
    assert f"others ({len(counts) - TOP:,})" in svg
    bits = entropy_bits(counts)
    assert f"top {TOP} of {len(counts):,} distinct outcomes · entropy {bits:.2f} bits" in svg
    p = [v / total for v in counts.values()]
    assert bits == pytest.approx(-sum(x * math.log2(x) for x in p))
    # 22-bit labels are shortened in the middle, turned, and keep the whole key as a title
    short = f"{top[:7]}…{top[-8:]}"
    assert re.search(rf"rotate\(-60[^>]*><title>{top}</title>{short}</text>", svg)


def test_small_results_in_bitstring_order_with_their_values():
    svg = counts_svg({"counts": {"11": 10, "00": 30, "01": 60}})
    assert list(_bars(svg)) == ["00", "01", "11"]
    assert ">0.600</text>" in svg and "others" not in svg and "rotate" not in svg


def test_estimator_results_draw_error_bars_or_a_line_over_a_sweep():
    single = expectation_svg([{"evs": 0.5, "stds": 0.1}, {"evs": -0.25, "stds": 0.05}])
    assert single.count("qnb-errorbar") == 2 and "<polyline" not in single
    assert "<title>PUB 1: -0.25000 ± 0.05000</title>" in single
    sweep = expectation_svg([{"evs": [1.0, 0.0, -1.0], "stds": [0.01, 0.02, 0.01]}])
    assert sweep.count("<polyline") == 1 and sweep.count("qnb-band") == 1
    assert sweep.count("<circle") == 3 and "parameter point" in sweep


def test_an_estimator_job_renders_its_values_statically(qnb_home):
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp

    qc = QuantumCircuit(1)
    qc.x(0)
    job = qnb.Estimator().run([(qc, SparsePauliOp("Z"))])
    job.wait(timeout=120)
    bundle = job._repr_mimebundle_()
    assert "qnb-errorbar" in bundle["text/html"] or "qnb-point" in bundle["text/html"]
    assert "data-value='-1'" in bundle["text/html"]
    assert "  PUB 0: -1.00000 ± 0.00000" in bundle["text/plain"]


# -- compare ------------------------------------------------------------------------------
def test_compare_measures_known_distributions():
    disjoint = qnb.compare({"0": 10}, {"1": 3})
    assert disjoint.tvd[0, 1] == 1.0 and disjoint.hellinger[0, 1] == 0.0
    half = qnb.compare({"00": 50, "11": 50}, {"00": 100}, labels=["bell", "zero"])
    assert half.tvd["bell", "zero"] == pytest.approx(0.5)
    assert half.tvd["zero", "bell"] == pytest.approx(0.5)  # either order
    assert half.hellinger["bell", "zero"] == pytest.approx(0.5)  # (sqrt(.5 * 1))^2
    three = qnb.compare({"a": 1, "b": 1}, {"a": 1}, {"a": 3, "b": 1})
    assert len(three.tvd) == 3 and three.tvd[1, 2] == pytest.approx(0.25)
    # quasi-probabilities from mitigation: negatives count as zero
    assert qnb.compare({"0": 0.6, "1": -0.1}, {"0": 1}).tvd[0, 1] == pytest.approx(0.0)
    text = repr(half)
    assert "bell vs zero  TVD 0.5000  Hellinger fidelity 0.5000" in text
    html = half._repr_html_()
    assert html.count("qnb-s0") > 1 and html.count("qnb-s1") > 1  # grouped bars
    assert ">0.5000</td>" in html
    with pytest.raises(ValueError, match="two or more"):
        qnb.compare({"0": 1})


def test_compare_jobs_overlays_their_counts(qnb_home):
    from qiskit.quantum_info import hellinger_fidelity

    a = qnb.submit(bell(), shots=2000, seed=1, name="a")
    b = qnb.submit(bell(), shots=2000, seed=2, name="b")
    again = qnb.submit(bell(), shots=2000, seed=1, name="a")
    other = qnb.submit(ghz(2), shots=2000, seed=1, name="ghz")
    result = qnb.compare(a, b, again, other)
    assert result.labels == [f"a ({a.id})", "b", f"a ({again.id})", "ghz"]
    pa, pb = a.counts(), b.counts()
    assert result.tvd[0, 1] == pytest.approx(
        0.5 * sum(abs(pa.get(k, 0) - pb.get(k, 0)) / 2000 for k in {*pa, *pb}))
    assert result.hellinger[0, 1] == pytest.approx(hellinger_fidelity(pa, pb))
    assert 0 < result.tvd[0, 1] < 0.1 and result.hellinger[0, 1] > 0.99
    assert result.tvd[0, 2] == 0.0 and result.hellinger[0, 2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Estimator job"):
        from qiskit import QuantumCircuit
        from qiskit.quantum_info import SparsePauliOp

        qnb.compare(a, qnb.Estimator().run([(QuantumCircuit(1), SparsePauliOp("Z"))]))


# -- interrupt ----------------------------------------------------------------------------
LONG = inspect.getsource(long_circuit)


def _interrupt(km, kc, code: str, ready) -> tuple[dict, list[dict]]:
    """Run ``code``, interrupt the kernel once ``ready()`` is true, and return the reply
    and the cell's outputs."""
    msg_id = kc.execute(code)
    wait_for(ready, 180, what="the job to run")
    km.interrupt_kernel()
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind in ("stream", "error", "display_data", "execute_result"):
            outputs.append({"type": kind, **msg["content"]})
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id
    return reply["content"], outputs


def _running(name: str):
    store = get_store()

    def check():
        jobs = [r for r in store.list(limit=5)[0] if r.name == name]
        return jobs[0] if jobs and jobs[0].status is JobStatus.RUNNING else None

    return check


def test_a_cancelled_await_outside_a_kernel_interrupt_stays_a_cancel(qnb_home):
    """Only a kernel interrupt becomes the one-line stop: ``asyncio.wait_for`` around a job
    still times out as asyncio says, and the job goes on."""
    import asyncio

    from qnb.models import JobRecord
    from qnb.primitives.job import make_job

    store = get_store()
    rec = JobRecord(id="a" * 12, backend="aer", provider="aer", status=JobStatus.QUEUED,
                    shots=10, created_at=0.0)
    store.add_job(rec, "qpy", b"")  # no runner: it stays queued
    job = make_job(rec, store)
    with pytest.raises(TimeoutError):
        asyncio.run(asyncio.wait_for(job.wait_async(), 0.2))
    assert job.status() is JobStatus.QUEUED


def test_interrupting_qsubmit_wait_cancels_the_job_and_says_so_in_one_line(qnb_home):
    store = get_store()
    with running_kernel() as (km, kc):
        execute(kc, f"%load_ext qnb\n{LONG}")
        running = _running("long-wait")
        reply, outputs = _interrupt(
            km, kc, "%%qsubmit --wait -s 10 -n long-wait -o job\nlong_circuit()", running)
        assert reply["status"] == "error"
        job = store.list(limit=1)[0][0]
        (out,) = outputs
        assert out["type"] == "error" and len(out["traceback"]) == 1
        assert out["traceback"][0] == (f"KeyboardInterrupt: interrupted while waiting; "
                                       f"cancelling job {job.id}: the runner is stopping it")
        assert wait_for(lambda: store.get(job.id).status.is_final, 60)
        assert store.get(job.id).status is JobStatus.CANCELLED
        reply, outputs = execute(kc, "print(job.status())")  # the kernel goes on
        assert text_of(outputs).strip() == "CANCELLED"


@pytest.mark.parametrize("wait", ["job.result()", "await job"])
def test_interrupting_result_stops_waiting_and_leaves_the_job_running(qnb_home, wait):
    store = get_store()
    with running_kernel() as (km, kc):
        execute(kc, f"import qnb\n{LONG}\njob = qnb.submit(long_circuit(), shots=10, "
                    "name='long-result')")
        reply, outputs = _interrupt(km, kc, wait, _running("long-result"))
        assert reply["status"] == "error"
        job = store.list(limit=1)[0][0]
        (out,) = outputs
        assert out["type"] == "error"
        assert out["traceback"] == [f"KeyboardInterrupt: stopped waiting for job {job.id}, "
                                    f"which goes on; cancel it with job.cancel() or "
                                    f"%qcancel {job.id}"]
        rec = store.get(job.id)
        assert rec.status is JobStatus.RUNNING and not rec.cancel_requested
        reply, outputs = execute(kc, "print(job.cancel())")
        assert reply["status"] == "ok"
