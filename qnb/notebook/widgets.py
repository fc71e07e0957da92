"""What a kernel shows of jobs: one job in its cell (``JobWidget``, shown by ``show_job``)
and the ``%qjobs`` table (``JobsTable``).

Every such output carries a static rendering (HTML with SVG charts, and text) beside the
live widget, and has a display id: when the job ends, the watcher thread replaces the
output with the final static rendering (``update_display``), so a saved notebook shows the
result without a kernel. The watcher only sets widget state and sends display updates; it
never prints.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

import ipywidgets as widgets

from .charts import TOP
from .render import (
    counts_svg,
    counts_table_html,
    error_html,
    expectation_svg,
    expectation_table_html,
    job_header_html,
    job_html,
    job_text,
    jobs_table_html,
    jobs_table_text,
)
from .watcher import watcher

if TYPE_CHECKING:
    from ..models import JobRecord


class Job(Protocol):
    """What the widgets use of a job handle (``qnb.job.Job``, which imports this module to
    show itself, so this module names only what it needs)."""

    id: str
    _store: Any
    _record: Any

    @property
    def widget(self) -> Any: ...
    def refresh(self) -> JobRecord: ...
    def result(self, timeout: float | None = None) -> Any: ...
    def summary(self) -> list[dict[str, Any]]: ...
    def cancel(self) -> Any: ...

LIVE_TABLES = 8  # the newest %qjobs outputs kept refreshing; older ones keep their last state


def in_kernel() -> bool:
    """True in a Jupyter kernel, whose outputs can be replaced by display id (a terminal
    IPython would print the update instead)."""
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


def _publish(bundle: dict[str, Any], display_id: str, update: bool) -> None:
    from IPython.display import display, update_display

    if update:
        update_display(bundle, raw=True, display_id=display_id)
    else:
        display(bundle, raw=True, display_id=display_id)


def static_bundle(job: Job, rec: JobRecord | None = None) -> dict[str, str]:
    """The job's static rendering: ``text/html`` (header, then charts and tables or the
    error once it has ended) and ``text/plain`` (status, then top outcomes)."""
    rec = rec or job.refresh()
    data = job._store.result(job.id) if rec.status == "DONE" else None
    return {"text/html": job_html(rec, data, time.time()), "text/plain": job_text(rec, data)}


def job_bundle(job: Job) -> dict[str, Any]:
    """The static rendering, plus the live widget while the job has not ended."""
    rec = job.refresh()
    bundle: dict[str, Any] = {}
    if not rec.is_final:
        view = job.widget._repr_mimebundle_()
        bundle.update((view[0] if isinstance(view, tuple) else view) or {})
    bundle.update(static_bundle(job, rec))
    return bundle


def show_job(job: Job) -> None:
    """Display the job; in a kernel, in an output its widget replaces when the job ends."""
    from IPython.display import display

    bundle = job_bundle(job)
    if not in_kernel() or "application/vnd.jupyter.widget-view+json" not in bundle:
        # no live widget in it (the job had ended when it was read): nothing to replace
        display(bundle, raw=True)
        return
    display_id = uuid.uuid4().hex
    _publish(bundle, display_id, update=False)
    job.widget.follow_display(display_id)


class JobWidget(widgets.VBox):
    """Shows a job's id, backend, status and elapsed time, updating by itself, then its
    counts chart and table when DONE (a picker chooses the circuit or parameter point), or
    its error; replaces the outputs it follows with the final static rendering."""

    def __init__(self, job: Job, **kwargs: Any) -> None:
        self.job = job
        self.header = widgets.HTML()
        self.cancel_button = widgets.Button(description="Cancel", icon="stop",
                                            layout=widgets.Layout(width="90px"),
                                            tooltip="Cancel this job")
        self.cancel_button.on_click(lambda _: self._cancel())
        # every outcome widget exists from the start, hidden; see _show_outcome
        self.message = widgets.HTML(layout=widgets.Layout(display="none"))
        self.picker = widgets.Dropdown(description="show", options=[("circuit 0", 0)],
                                       layout=widgets.Layout(width="220px", display="none"))
        self.picker.observe(lambda change: self._draw_counts(change["new"]), names="value")
        # how the live histogram is drawn: bar order, scale, how many bars before "others"
        self.order = widgets.ToggleButtons(options=[("by count", "count"),
                                                    ("by bitstring", "bitstring")],
                                           value="count", tooltips=["tallest first",
                                                                    "in bitstring order"],
                                           style={"button_width": "110px"})
        self.log_scale = widgets.Checkbox(value=False, description="log scale", indent=False,
                                          layout=widgets.Layout(width="100px"))
        self.top = widgets.BoundedIntText(value=TOP, min=1, max=256, description="top",
                                          style={"description_width": "initial"},
                                          layout=widgets.Layout(width="110px"))
        self.chart_controls = widgets.HBox([self.order, self.log_scale, self.top],
                                           layout=widgets.Layout(display="none",
                                                                 grid_gap="8px"))
        for control in (self.order, self.log_scale, self.top):
            control.observe(lambda _: self._redraw(), names="value")
        self.chart = widgets.HTML()
        self.table = widgets.HTML()
        self.counts_box = widgets.HBox([self.chart, self.table],
                                       layout=widgets.Layout(display="none",
                                                             grid_gap="16px"))
        self.body = widgets.VBox([self.message, self.picker, self.chart_controls,
                                  self.counts_box])
        self._series: dict[str, Any] = {}
        super().__init__([widgets.HBox([self.header, self.cancel_button]), self.body], **kwargs)
        self.add_class("qnb-job")
        #: set once the job's end is drawn and every output following it replaced
        self.ended = threading.Event()
        self._displays: list[str] = []
        self._lock = threading.Lock()
        self._last: tuple | None = None
        self._drawn = False
        self.tick(time.time())
        if not self._drawn:
            watcher().watch(self)

    # called by the watcher thread and once at creation
    def tick(self, now: float, records: dict[str, Any] | None = None) -> bool:
        rec = (records or {}).get(self.job.id)
        if rec is None:
            rec = self.job.refresh()
        else:
            self.job._record = rec
        self._show_header(rec, now)
        if rec.is_final and not self._drawn:
            self._drawn = True
            self.cancel_button.layout.display = "none"
            try:
                self._show_outcome(rec)
            finally:  # the outputs get the static rendering even if the widget failed
                self._replace_displays(rec)
        return not self._drawn

    def follow_display(self, display_id: str) -> None:
        """Replace the output with this display id by the final rendering when the job ends
        (at once if it has ended already)."""
        with self._lock:
            if not self.ended.is_set():
                self._displays.append(display_id)
                return
        _publish(static_bundle(self.job), display_id, update=True)

    def _replace_displays(self, rec: JobRecord) -> None:
        with self._lock:
            ids, self._displays = self._displays, []
            if ids:
                bundle = static_bundle(self.job, rec)
                for display_id in ids:
                    _publish(bundle, display_id, update=True)
            self.ended.set()

    def _show_header(self, rec: JobRecord, now: float) -> None:
        seconds = rec.elapsed(now)
        state = (rec.status, rec.provider_status, rec.queue_position, rec.estimated_start,
                 rec.progress_done, rec.progress_total, rec.estimated_end,
                 int(seconds) if not rec.is_final and seconds >= 1 else seconds)
        if state == self._last:
            return
        self._last = state
        self.header.value = job_header_html(rec, now)

    def _show_outcome(self, rec: JobRecord) -> None:
        """Fill the outcome widgets made at creation: the watcher thread only changes state
        of existing widgets, it never opens new ones (comm opens from a kernel thread do not
        reliably reach the page)."""
        if rec.status != "DONE":
            self.message.value = error_html(rec)
            self.message.layout.display = None
            return
        if rec.primitive == "estimator":
            pubs = self.job.summary()
            self.chart.value = expectation_svg(pubs)
            self.table.value = expectation_table_html(pubs)
            self.counts_box.layout.display = None
            return
        estimates = (None if rec.primitive else
                     self.job.result().extra.get("resource_estimates"))
        if estimates is not None:  # a resource estimate: figures, no counts
            from .estimates import estimates_html

            self.message.value = estimates_html(estimates)
            self.message.layout.display = None
            return
        choices = self._choices(rec)
        if len(choices) > 1:
            self.picker.options = choices
            self.picker.value = choices[0][1]
            self.picker.layout.display = None
        self._draw_counts(choices[0][1])
        self.counts_box.layout.display = None

    def _choices(self, rec: JobRecord) -> list[tuple[str, Any]]:
        """What the picker offers: each circuit, or each PUB's parameter points."""
        if rec.primitive == "sampler":
            return [(f"PUB {i}" + (f", point {j}" if len(pub["counts"]) > 1 else ""), (i, j))
                    for i, pub in enumerate(self.job.summary())
                    for j in range(len(pub["counts"]))]
        return [(f"circuit {i}", i) for i in range(len(self.job.result()))]

    def _draw_counts(self, index: Any) -> None:
        if isinstance(index, tuple):
            pub, point = index
            series = {"counts": self.job.summary()[pub]["counts"][point]}
        else:
            result = self.job.result()
            counts = result.get_counts(index)
            series = {"counts": counts}
            mitigated = result.extra.get("mitigated")
            if mitigated:
                series = {"raw": counts, "mitigated": mitigated[index]}
        self._series = series
        self.chart_controls.layout.display = None
        self._redraw()
        self.table.value = counts_table_html(series[list(series)[-1]])

    def _redraw(self) -> None:
        """Draw the histogram as the controls say (the saved rendering keeps the default)."""
        if self._series:
            self.chart.value = counts_svg(self._series, top=self.top.value,
                                          order=self.order.value, log=self.log_scale.value)

    def _cancel(self) -> None:
        self.job.cancel()
        self.tick(time.time())
        watcher().watch(self)


_live_tables: deque[JobsTable] = deque()
_live_lock = threading.Lock()


class JobsTable:
    """``%qjobs``: the newest jobs of the store as a static HTML table (and text). In a
    kernel the output is refreshed in place, through its display id, every ``interval``
    seconds while it changes; a saved notebook keeps its last state."""

    def __init__(self, status: str | None = None, backend: str | None = None, limit: int = 20,
                 interval: float = 1.0, *, tag: Any = None, search: str | None = None,
                 since: float | None = None, owner: list[str | None] | None = None,
                 show_owner: bool = False) -> None:
        from ..store import get_store

        self.store = get_store()
        self.filters = {"status": status, "backend": backend, "limit": limit, "tag": tag,
                        "search": search, "since": since, "owner": owner}
        self.show_owner = show_owner
        self.interval = interval
        self.html = ""
        self.text = ""
        self._displays: list[str] = []
        self._lock = threading.Lock()
        self._next = 0.0
        self._retired = False
        self.tick(time.time())
        watcher().watch(self)

    def tick(self, now: float, records: dict[str, Any] | None = None) -> bool:
        if self._retired:
            return False
        if now < self._next:
            return True
        self._next = now + self.interval
        rows, total = self.store.list(**self.filters)
        html = jobs_table_html(rows, now, total, owners=self.show_owner)
        if html != self.html:
            bundle = {"text/html": html,
                      "text/plain": jobs_table_text(rows, total, owners=self.show_owner)}
            with self._lock:
                for display_id in self._displays:
                    _publish(bundle, display_id, update=True)
                # after the outputs: whoever sees the new table here knows they have it too
                self.html, self.text = bundle["text/html"], bundle["text/plain"]
        return True

    def bundle(self) -> dict[str, str]:
        return {"text/html": self.html, "text/plain": self.text}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.bundle()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if not in_kernel():
            display(self.bundle(), raw=True)
            return
        display_id = uuid.uuid4().hex
        with self._lock:  # a refresh waits until the output exists
            _publish(self.bundle(), display_id, update=False)
            self._displays.append(display_id)
        with _live_lock:
            _live_tables.append(self)
            while len(_live_tables) > LIVE_TABLES:
                _live_tables.popleft()._retired = True
