"""The runner: one long-lived process per ``QNB_HOME`` that runs and follows every job.

``control`` starts, wakes and stops it; ``service`` is the process itself; ``worker``
holds the functions its worker processes run; ``remote`` schedules polls of remote jobs.
"""

from .control import ensure_runner, runner_info, stop_runner, wake

__all__ = ["ensure_runner", "runner_info", "stop_runner", "wake"]
