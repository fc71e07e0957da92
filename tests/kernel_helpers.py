"""Driving a real IPython kernel through jupyter_client."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import Any

from jupyter_client.manager import KernelManager


@contextmanager
def running_kernel(env: dict[str, str] | None = None):
    km = KernelManager(kernel_name="python3")
    km.kernel_cmd = None
    kernel_env = dict(os.environ, **(env or {}))
    km.start_kernel(env=kernel_env, extra_arguments=[], cwd=os.getcwd(),
                    independent=False)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kc: Any, code: str, timeout: float = 60) -> tuple[dict, list[dict]]:
    """Run code; return the reply content and every output message's content."""
    outputs: list[dict] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] in ("stream", "execute_result", "display_data", "error"):
            outputs.append({"type": msg["msg_type"], **msg["content"]})

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return reply["content"], outputs


def round_trip(kc: Any) -> float:
    """Seconds for the kernel to run a trivial cell and reply."""
    t0 = time.perf_counter()
    reply, _ = execute(kc, "1 + 1", timeout=30)
    assert reply["status"] == "ok"
    return time.perf_counter() - t0


def text_of(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        if out["type"] == "stream":
            parts.append(out["text"])
        elif out["type"] == "error":
            parts.append("\n".join(out["traceback"]))
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


PYTHON = sys.executable
