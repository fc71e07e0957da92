"""The live widget: status while running, an SVG histogram and table when done, error when
failed; the job's static rendering beside it."""

from __future__ import annotations

from helpers import bell, long_circuit, wait_for

import qnb
from qnb.notebook.widgets import JobsTable, JobWidget


def test_widget_follows_the_job_by_itself_and_draws_the_histogram(qnb_home):
    job = qnb.submit(bell(), shots=1000, seed=2, name="bell")
    widget = JobWidget(job)
    assert job.id in widget.header.value and "aer" in widget.header.value
    # the watcher thread updates the widget without anyone calling it
    assert wait_for(lambda: "DONE" in widget.header.value)
    assert wait_for(lambda: widget.counts_box.layout.display is None)
    counts = job.counts()
    for key, count in counts.items():  # one bar per outcome, carrying its count
        assert f"data-key='{key}' data-count='{count:,}'" in widget.chart.value
    assert "00" in widget.table.value and "11" in widget.table.value
    assert widget.message.layout.display == "none"
    assert widget.cancel_button.layout.display == "none"


def test_widget_shows_the_error_of_a_failed_job(qnb_home):
    from qiskit.circuit import Gate, QuantumCircuit

    qc = QuantumCircuit(1)
    qc.append(Gate("mystery", 1, []), [0])
    qc.measure_all()
    job = qnb.submit(qc)
    widget = job.widget
    assert wait_for(lambda: "ERROR" in widget.header.value)
    assert wait_for(lambda: "mystery" in widget.message.value)
    assert widget.message.layout.display is None and widget.counts_box.layout.display == "none"


def test_job_displays_as_its_widget_beside_a_static_rendering_until_it_ends(qnb_home):
    job = qnb.submit(long_circuit(), shots=10, name="long")
    bundle = job._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith(f"<Job {job.id} 'long' on aer: ")
    assert job.id in bundle["text/html"] and "the result will replace this" in bundle["text/html"]
    job.cancel()
    job.wait(timeout=60)
    done = qnb.submit(bell(), shots=1000, seed=3, name="bell")
    done.wait(timeout=60)
    bundle = done._repr_mimebundle_()
    # once it has ended: only what a saved notebook can show without a kernel
    assert set(bundle) == {"text/html", "text/plain"}
    counts = done.counts()
    assert "<svg" in bundle["text/html"] and "qnb-histogram" in bundle["text/html"]
    assert all(f"data-count='{n:,}'" in bundle["text/html"] for n in counts.values())
    text = bundle["text/plain"]
    assert text.startswith(f"<Job {done.id} 'bell' on aer: DONE>")
    top = max(counts, key=counts.get)
    assert f"  {top}  {counts[top]:>9,}  {counts[top] / 1000:.3f}" in text


def test_jobs_table_lists_new_jobs(qnb_home):
    table = JobsTable(interval=0.1)
    job = qnb.submit(bell(), shots=10, name="listed")
    assert wait_for(lambda: job.id in table.html and job.id in table.text)
    job.wait(timeout=60)
    assert wait_for(lambda: "DONE" in table.html)
    assert set(table._repr_mimebundle_()) == {"text/html", "text/plain"}


def test_widget_draws_estimator_values_and_sampler_points(qnb_home):
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp

    t = Parameter("t")
    qc = QuantumCircuit(1)
    qc.ry(t, 0)
    points = np.linspace(0, np.pi, 5)
    est = JobWidget(qnb.Estimator().run([(qc, SparsePauliOp("Z"), points)]))
    assert "Estimator · 1 PUB" in est.header.value and "shots" not in est.header.value
    assert wait_for(lambda: est.counts_box.layout.display is None)
    assert est.chart.value.count("<circle") == 5  # a line over the sweep, one point each
    # cos(t) at the five points, with their standard errors
    assert "PUB 0, point 4" in est.table.value and "-1.00000 ± 0.00000" in est.table.value
    measured = qc.copy()
    measured.measure_all()
    sam = JobWidget(qnb.Sampler().run([(measured, [[0.0], [np.pi]])], shots=50))
    assert wait_for(lambda: sam.counts_box.layout.display is None)
    assert [label for label, _ in sam.picker.options] == ["PUB 0, point 0", "PUB 0, point 1"]
    assert ">0<" in sam.table.value and ">1<" not in sam.table.value  # ry(0): always 0
    sam.picker.value = (0, 1)
    assert ">1<" in sam.table.value and ">0<" not in sam.table.value  # ry(pi): always 1


def test_the_live_histogram_sorts_scales_and_gathers_as_the_controls_say(qnb_home):
    """Sort by count or bitstring, a log scale, and how many bars come before "others"."""
    import re

    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3)
    qc.ry(0.3, 0)
    qc.ry(1.1, 1)
    qc.h(2)
    qc.measure_all()
    job = qnb.submit(qc, shots=4000, seed=7)
    widget = JobWidget(job)
    assert wait_for(lambda: widget.counts_box.layout.display is None, 120)
    assert widget.chart_controls.layout.display is None

    def labels() -> list[str]:
        return re.findall(r"data-key='([01]+)'", widget.chart.value)

    counts = job.result().get_counts()
    widget.order.value = "count"
    assert labels() == sorted(counts, key=lambda k: (-counts[k], k))
    widget.order.value = "bitstring"
    assert labels() == sorted(counts)
    widget.log_scale.value = True
    assert ">1e-0" in widget.chart.value or ">0.01<" in widget.chart.value  # decade ticks
    widget.top.value = 3
    assert len(labels()) == 3 and "others (" in widget.chart.value
