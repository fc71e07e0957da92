"""The runner: one long-lived process per ``QNB_HOME`` that runs and follows every job.

``control`` starts, wakes and stops it; ``service`` is the process and its main loop;
``local`` runs jobs in worker processes (``worker`` is what they execute); ``remote`` hands
jobs to services and follows them on ``schedule``; ``outcomes`` is what helpers hand back.
"""

from .control import ensure_runner, runner_info, stop_runner, wake

__all__ = ["ensure_runner", "runner_info", "stop_runner", "wake"]
