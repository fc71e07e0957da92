"""The runner: one long-lived process per ``QNB_HOME`` that runs and follows every job.

``control`` starts, wakes and stops it; ``service`` is the process and its main loop;
``worker`` is the loop of its worker processes, which claim local jobs and write their
``results``; ``local`` keeps that pool whole; ``remote`` hands jobs to services and follows
them on ``schedule``; ``outcomes`` is what the remote helpers hand back.
"""

from .control import ensure_runner, hears_ends, runner_info, stop_runner, wake

__all__ = ["ensure_runner", "hears_ends", "runner_info", "stop_runner", "wake"]
