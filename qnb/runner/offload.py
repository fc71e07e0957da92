"""The CPU work of handing a remote job over, in a process of its own.

A remote provider that ``prepares`` (``Provider.prepare``: transpiling the circuits for the
target, encoding them in the format it takes) has that done in a child of the workers' fork
server (``local.fork_context``: Qiskit already imported), forked for the one hand-over.
The runner's I/O thread making the hand-over waits for it, then submits what it made. So
the runner's process never transpiles; a compiler that crashes (a segfault) ends that job
in ERROR with the reason instead of taking the runner down; and the runner's loop keeps its
CPU while a large circuit is transpiled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..backends.registry import make_provider
from .local import fork_context

JOIN_SECONDS = 5.0  # how long a child that has answered may take to exit


def call_elsewhere(fn: Callable[..., Any], *args: Any, what: str = "the call") -> Any:
    """``fn(*args)`` in a process forked for it (``fn`` and ``args`` picklable): its value,
    or the exception it raised; ``RuntimeError`` naming ``what`` and the exit code if the
    process dies before it answers."""
    ctx = fork_context()
    answer, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_answer, args=(sender, fn, args), name="qnb-prepare", daemon=True)
    proc.start()
    sender.close()  # the child holds the only sending end: its death ends the wait
    try:
        kind, value = answer.recv()
    except EOFError:
        proc.join(JOIN_SECONDS)
        raise RuntimeError(f"the process running {what} died (exit code {proc.exitcode}) "
                           "before it answered") from None
    finally:
        answer.close()
    proc.join(JOIN_SECONDS)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if kind == "error":
        raise value
    return value


def _answer(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child's side: run ``fn`` and send back ``("value", ...)`` or ``("error", ...)``."""
    try:
        outcome: tuple[str, Any] = ("value", fn(*args))
    except BaseException as exc:  # sent back to be raised where the call was made
        outcome = ("error", exc)
    kind, value = outcome
    with contextlib.suppress(OSError):  # OSError: the runner has gone, nobody waits
        try:
            conn.send(outcome)  # pickled whole before a byte is written
        except OSError:
            raise
        except Exception as exc:  # what pickle cannot carry is sent as its words
            conn.send(("error", RuntimeError(f"{type(value).__name__}: {value}") if kind == "error"
                       else RuntimeError(f"its {type(value).__name__} value cannot be sent back "
                                         f"({exc})")))
        finally:
            conn.close()


def prepare(spec: dict[str, Any], payload_format: str, payload: bytes, shots: int,
            seed: int | None, options: dict[str, Any]) -> Any:
    """In the child: the adapter of profile ``spec``'s ``prepare``."""
    return make_provider(spec).prepare(payload_format, payload, shots, seed, options)


def hand_over(provider: Any, payload_format: str, payload: bytes, shots: int,
              seed: int | None, options: dict[str, Any]) -> Any:
    """``provider.submit``, its preparation first in a process of its own if it ``prepares``
    (called on one of the runner's I/O threads)."""
    if not provider.prepares:
        return provider.submit(payload_format, payload, shots, seed, options)
    prepared = call_elsewhere(prepare, provider.spec, payload_format, payload, shots, seed,
                              options, what=f"the preparation of a job for {provider.name!r}")
    return provider.submit_prepared(prepared, shots, seed, options)
