"""The runner's periodic upkeep of the store (retention, backups): measured from the runner's
own start, so that it first runs soon after the start whatever the machine's uptime."""

from __future__ import annotations

from qnb.runner.upkeep import Every


class Clock:
    """``time.monotonic`` on a machine booted ``now`` seconds ago."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_periodic_task_is_due_at_once_on_a_machine_booted_seconds_ago():
    clock = Clock(5.0)  # the monotonic clock starts near zero at boot
    hourly = Every(3600.0, clock)
    assert hourly.due(), "an hourly task must not wait for the machine's first hour"
    hourly.ran()
    clock.now += 3599.0
    assert not hourly.due()
    clock.now += 1.0
    assert hourly.due()
    hourly.ran()
    hourly.again()  # more to do: due again at once
    assert hourly.due()
