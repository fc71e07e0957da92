"""A kernel waiting on a job is woken by the runner when jobs end, instead of polling on."""

from __future__ import annotations

import os
import stat
import sys
import threading
import time

import pytest
from helpers import bell

import qnb
from qnb import waiters
from qnb.models import JobStatus

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="waiters use Linux's abstract sockets")


def test_a_poke_ends_a_waiters_sleep_early(qnb_home):
    waiter = waiters.waiter(qnb_home)
    assert waiter is waiters.waiter(qnb_home)  # one per process and home
    mark = qnb_home / "waiters" / waiter.name
    assert mark.exists() and stat.S_IMODE(mark.stat().st_mode) == 0o600
    assert stat.S_IMODE(mark.parent.stat().st_mode) == 0o700
    slept = {}

    def sleeper() -> None:
        t0 = time.monotonic()
        waiter.sleep(60)
        slept["s"] = time.monotonic() - t0

    thread = threading.Thread(target=sleeper)
    thread.start()
    time.sleep(0.2)
    assert waiters.poke(qnb_home) == 1
    thread.join(timeout=30)
    assert not thread.is_alive() and slept["s"] < 30  # woken, not timed out after 60 s


def test_a_poke_forgets_waiters_that_have_gone(qnb_home):
    folder = qnb_home / "waiters"
    folder.mkdir(mode=0o700, exist_ok=True)
    gone = folder / f"{os.getpid() + 10**6}-deadbeef"  # no such socket bound
    gone.touch(mode=0o600)
    waiters.poke(qnb_home)
    assert not gone.exists()


def test_waiting_jobs_end_with_their_results(qnb_home):
    """The wake-ups change when a wait looks, never what it finds."""
    jobs = [qnb.submit(bell(), shots=100, seed=i) for i in range(20)]
    for job in jobs:
        assert job.wait(timeout=120) is JobStatus.DONE
        assert sum(job.result().get_counts().values()) == 100
