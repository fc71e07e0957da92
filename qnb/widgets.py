"""The live widgets: one job in its cell (``JobWidget``) and the ``%qjobs`` table."""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .render import (
    counts_table_html,
    duration,
    expectation_png,
    expectation_table_html,
    histogram_png,
    jobs_table_html,
    status_badge,
)
from .watcher import watcher

if TYPE_CHECKING:
    from .job import Job
    from .models import JobRecord


class JobWidget(widgets.VBox):
    """Shows a job's id, backend, status and elapsed time, updating by itself, then its
    counts histogram and table when DONE, or its error."""

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
        self.image = widgets.Image(format="png")
        self.image.add_class("qnb-histogram")
        self.table = widgets.HTML()
        self.counts_box = widgets.HBox([self.image, self.table],
                                       layout=widgets.Layout(display="none"))
        self.body = widgets.VBox([self.message, self.picker, self.counts_box])
        super().__init__([widgets.HBox([self.header, self.cancel_button]), self.body], **kwargs)
        self.add_class("qnb-job")
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
            self._show_outcome(rec)
        return not self._drawn

    def _show_header(self, rec: JobRecord, now: float) -> None:
        seconds = rec.elapsed(now)
        # whole seconds while it runs (fewer updates to the page), exact once it has ended
        elapsed = duration(seconds if rec.is_final or seconds < 1 else float(int(seconds)))
        state = (rec.status, rec.provider_status, rec.queue_position, rec.estimated_start,
                 elapsed)
        if state == self._last:
            return
        self._last = state
        name = f"<b>{html.escape(rec.name)}</b> · " if rec.name else ""
        extra = []
        if rec.queue_position is not None:
            extra.append(f"queue position {rec.queue_position}")
        if rec.estimated_start is not None and rec.status == "QUEUED":
            left = rec.estimated_start - now
            # whole seconds, like the elapsed time: fewer updates to the page
            extra.append(f"estimated start in {duration(float(max(1, int(left))))}"
                         if left > 0 else "estimated start passed")
        if rec.provider_status and rec.provider_status.lower() != str(rec.status).lower():
            extra.append(html.escape(rec.provider_status))
        if rec.primitive:
            work = f"{rec.primitive.capitalize()} · {rec.num_circuits} PUB" + (
                "s" if rec.num_circuits > 1 else "")
            if rec.primitive == "sampler":
                work += f" · {rec.shots:,} shots"
        else:
            work = f"{rec.shots:,} shots" + (
                f" · {rec.num_circuits} circuits" if rec.num_circuits > 1 else "")
        if rec.session:
            work += f" · session {rec.session}"
        self.header.value = (
            f"<div class='qnb-job-header' data-status='{rec.status}' style='font-size:13px'>"
            f"{name}<code>{rec.id}</code> · {html.escape(rec.backend)} · "
            f"{work} · {status_badge(str(rec.status))} · "
            f"<span class='qnb-elapsed'>{elapsed}</span>"
            + (f" <span style='opacity:.7'>({'; '.join(extra)})</span>" if extra else "")
            + "</div>")

    def _show_outcome(self, rec: JobRecord) -> None:
        """Fill the outcome widgets made at creation: the watcher thread only changes state
        of existing widgets, it never opens new ones (comm opens from a kernel thread do not
        reliably reach the page)."""
        if rec.status != "DONE":
            colour = "#d93025" if rec.status == "ERROR" else "#b06000"
            self.message.value = (
                f"<div class='qnb-error' style='color:{colour};white-space:pre-wrap'>"
                f"<b>{rec.status}</b>: {html.escape(rec.error or 'no reason given')}</div>")
            self.message.layout.display = None
            return
        if rec.primitive == "estimator":
            pubs = self.job.summary()
            self.image.value = expectation_png(pubs)
            self.table.value = expectation_table_html(pubs)
            self.counts_box.layout.display = None
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
            counts = self.job.summary()[pub]["counts"][point]
            self.image.value = histogram_png({"counts": counts})
            self.table.value = counts_table_html(counts)
            return
        result = self.job.result()
        counts = result.get_counts(index)
        series = {"counts": counts}
        mitigated = result.extra.get("mitigated")
        if mitigated:
            series = {"raw": counts, "mitigated": mitigated[index]}
        self.image.value = histogram_png(series)
        self.table.value = counts_table_html(series[list(series)[-1]])

    def _cancel(self) -> None:
        self.job.cancel()
        self.tick(time.time())
        watcher().watch(self)


class JobsTable(widgets.VBox):
    """``%qjobs``: the newest jobs of the store, refreshed every second."""

    def __init__(self, status: str | None = None, backend: str | None = None, limit: int = 20,
                 interval: float = 1.0) -> None:
        from .store import get_store

        self.store = get_store()
        self.filters = {"status": status, "backend": backend, "limit": limit}
        self.interval = interval
        self.table = widgets.HTML()
        super().__init__([self.table])
        self.add_class("qnb-jobs-table")
        self._next = 0.0
        self.tick(time.time())
        watcher().watch(self)

    def tick(self, now: float, records: dict[str, Any] | None = None) -> bool:
        if now < self._next:
            return True
        self._next = now + self.interval
        records, total = self.store.list(**self.filters)
        value = jobs_table_html(records, now, total)
        if value != self.table.value:
            self.table.value = value
        return True

    def as_text(self) -> str:
        records, total = self.store.list(**self.filters)
        lines = [f"{r.id}  {r.status:<9} {r.backend:<10} {r.name or ''}" for r in records]
        return "\n".join([*lines, f"({len(records)} of {total} jobs)"])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(include=include, exclude=exclude)
        bundle = dict((bundle[0] if isinstance(bundle, tuple) else bundle) or {})
        bundle["text/plain"] = self.as_text()
        return bundle
