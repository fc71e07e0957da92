"""Prometheus metrics read from the job store at scrape time.

``QnbCollector`` runs a few aggregate queries per scrape; what finished jobs contribute is
added up once, so a scrape reads only what changed since the last one (see the class).
The Jupyter server extension registers one on
``prometheus_client.REGISTRY``, which the server's ``/metrics`` endpoint serves;
``qnb runner --metrics-port N`` serves one on its own port with ``serve_metrics``.

Metrics (``backend`` is the profile name):

- ``qnb_jobs_submitted_total{backend}``: jobs ever written to the store.
- ``qnb_jobs_finished_total{backend,status}``: jobs that ended DONE, ERROR or CANCELLED.
- ``qnb_jobs_active{backend,status}``: jobs QUEUED or RUNNING now.
- ``qnb_job_queue_seconds{backend}``: histogram, observed when a job finishes, of
  created -> started (waiting for the runner); jobs cancelled before starting are left out.
- ``qnb_job_run_seconds{backend}``: histogram, observed when a job finishes, of
  started -> finished (for remote backends this includes the service's own queue).
- ``qnb_runner_up``: 1 while a runner serves the store.
- ``qnb_runner_heartbeat_timestamp_seconds``: the runner's last heartbeat (when one runs).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from .config import store_url
from .models import FINAL_STATUSES, JobStatus
from .store import STORE_FILE, open_store

QUEUE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400)
RUN_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400)
_FINAL = sorted(str(s) for s in FINAL_STATUSES)
_ACTIVE = (str(JobStatus.QUEUED), str(JobStatus.RUNNING))
_RUN_COLUMN = 5 + len(QUEUE_BUCKETS)


@dataclass
class _Histogram:
    buckets: list[int]  # cumulative counts, one per bound
    count: int = 0
    total: float = 0.0


@dataclass
class _Totals:
    """What one collector has counted so far of one store file (final jobs never change)."""

    file_id: tuple[Any, ...] | None = None  # the store's identity()
    last_seq: int = 0
    last_event: int = 0
    submitted: Counter[str] = field(default_factory=Counter)
    finished: Counter[tuple[str, str]] = field(default_factory=Counter)
    queue: dict[str, _Histogram] = field(default_factory=dict)
    run: dict[str, _Histogram] = field(default_factory=dict)


class QnbCollector(Collector):
    """Job and runner metrics of one ``QNB_HOME``, read from the store on every scrape.

    Jobs that have finished never change, so their counts and durations are added up
    once: each scrape reads only the jobs and events written since the previous one, plus
    the (few) jobs active now. The first scrape reads the whole store.
    """

    def __init__(self, home: Path) -> None:
        self._home = Path(home)
        self._lock = threading.Lock()
        self._totals = _Totals()

    @property
    def home(self) -> Path:
        return self._home

    @home.setter
    def home(self, home: Path) -> None:
        with self._lock:
            self._home = Path(home)
            self._totals = _Totals()

    def describe(self) -> list[Metric]:
        """The metric names, without touching the store (used when registering)."""
        return list(_families())

    def collect(self) -> Iterator[Metric]:
        submitted, finished, active, queue_h, run_h, up, beat = _families()
        with self._lock:
            home = self._home
            totals, now_active = self._read(home)
            for backend in sorted(totals.submitted):
                submitted.add_metric([backend], totals.submitted[backend])
                for status in _FINAL:
                    finished.add_metric([backend, status], totals.finished[backend, status])
                for status in _ACTIVE:
                    active.add_metric([backend, status], now_active.get((backend, status), 0))
            for family, hists, bounds in ((queue_h, totals.queue, QUEUE_BUCKETS),
                                          (run_h, totals.run, RUN_BUCKETS)):
                for backend, h in sorted(hists.items()):
                    family.add_metric(
                        [backend],
                        [(_le(b), n) for b, n in zip(bounds, h.buckets, strict=True)]
                        + [("+Inf", h.count)], h.total)
        from .runner.control import RunnerFiles, runner_alive

        alive = runner_alive(home)
        up.add_metric([], 1.0 if alive else 0.0)
        if alive:
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                info: dict[str, Any] = json.loads(RunnerFiles(home).info.read_text())
                beat.add_metric([], float(info["heartbeat"]))
        yield from (submitted, finished, active, queue_h, run_h, up, beat)

    def _read(self, home: Path) -> tuple[_Totals, dict[tuple[str, str], int]]:
        """Bring the totals up to date and count the active jobs, in one read snapshot."""
        if not store_url(home) and not (home / STORE_FILE).exists():
            return _Totals(), {}  # no store yet: nothing was ever submitted
        store = open_store(home)  # afresh: the store may have been replaced since the last scrape
        with contextlib.closing(store), store.snapshot():
            hi_seq, hi_event = store.high_water()
            t = self._totals
            identity = store.identity()
            if (t.file_id != identity or hi_seq < t.last_seq
                    or hi_event < t.last_event):  # another store: count from scratch
                t = self._totals = _Totals(file_id=identity)
                since_event = None
            else:
                since_event = t.last_event
            for backend, n in store.submitted_between(t.last_seq, hi_seq):
                t.submitted[backend] += n
            for row in store.finished_histograms(since_event, hi_event, QUEUE_BUCKETS,
                                                 RUN_BUCKETS):
                backend, status, n = row[:3]
                t.finished[backend, status] += n
                _add(t.queue, backend, row[3:_RUN_COLUMN])
                _add(t.run, backend, row[_RUN_COLUMN:])
            t.last_seq, t.last_event = hi_seq, hi_event
            return t, store.active_counts()


def _families() -> tuple[Metric, ...]:
    return (
        CounterMetricFamily("qnb_jobs_submitted", "Jobs ever written to the qnb store.",
                            labels=["backend"]),
        CounterMetricFamily("qnb_jobs_finished", "Jobs that ended DONE, ERROR or CANCELLED.",
                            labels=["backend", "status"]),
        GaugeMetricFamily("qnb_jobs_active", "Jobs QUEUED or RUNNING now.",
                          labels=["backend", "status"]),
        HistogramMetricFamily("qnb_job_queue_seconds",
                              "Seconds finished jobs waited from submission until they started.",
                              labels=["backend"]),
        HistogramMetricFamily("qnb_job_run_seconds",
                              "Seconds finished jobs ran, from start until they finished.",
                              labels=["backend"]),
        GaugeMetricFamily("qnb_runner_up", "1 while a qnb runner serves the store."),
        GaugeMetricFamily("qnb_runner_heartbeat_timestamp_seconds",
                          "Unix time of the runner's last heartbeat."),
    )


def _add(hists: dict[str, _Histogram], backend: str, row: tuple) -> None:
    """Add one query row (count, sum, cumulative bucket counts) to a backend's histogram."""
    count, total, *buckets = row
    if not count:
        return
    h = hists.setdefault(backend, _Histogram([0] * len(buckets)))
    h.count += count
    h.total += total
    h.buckets = [a + (b or 0) for a, b in zip(h.buckets, buckets, strict=True)]


def _le(bound: float) -> str:
    return repr(float(bound))


_server_collector: QnbCollector | None = None
_server_lock = threading.Lock()


def register_server_collector(home: Path) -> QnbCollector:
    """Add qnb's metrics to the default registry (the Jupyter server's ``/metrics``), once.

    Loading the extension again (a new server in the same process) points it at ``home``.
    """
    global _server_collector
    from prometheus_client import REGISTRY

    with _server_lock:
        if _server_collector is None:
            collector = QnbCollector(home)
            REGISTRY.register(collector)
            _server_collector = collector
        else:
            _server_collector.home = Path(home)
    # The first collection reads the whole store; do it now, off the server's event loop.
    threading.Thread(target=lambda: list(_server_collector.collect()), daemon=True,
                     name="qnb-metrics-warmup").start()
    return _server_collector


def serve_metrics(home: Path, port: int, addr: str = "127.0.0.1") -> Any:
    """Serve qnb's metrics for ``home`` over HTTP on ``addr:port`` from a daemon thread.

    Uses a private registry (only qnb's metrics). Returns prometheus_client's server; call
    ``.shutdown()`` on it to stop.
    """
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=True)
    registry.register(QnbCollector(home))
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return server
