"""Circuits, reference runs, waiting and the Jupyter server launcher shared by the tests
(the benchmarks use the launcher too)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pg_server import on_postgres, shared_server

__all__ = ["JupyterServer", "assert_store_intact", "bell", "direct_aer_counts",
           "free_port", "ghz", "isolated_home", "start_jupyter", "wait_for"]


def bell(measure: bool = True):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    if measure:
        qc.measure_all()
    return qc


def long_circuit(qubits: int = 22, layers: int = 40, name: str = "long"):
    """A non-Clifford circuit that keeps Aer's statevector method busy for seconds."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(qubits, name=name)
    for layer in range(layers):
        for q in range(qubits):
            qc.rx(0.01 * (layer + 1), q)
        for q in range(qubits - 1):
            qc.cx(q, q + 1)
    qc.measure_all()
    return qc


def ghz(n: int):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def direct_aer_counts(circuits, shots: int, seed: int, optimization_level=None):
    """What a user gets running Aer directly with the same transpile settings and seeds."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator()
    kwargs = {"seed_transpiler": seed}
    if optimization_level is not None:
        kwargs["optimization_level"] = optimization_level
    compiled = transpile(circuits, sim, **kwargs)
    result = sim.run(compiled, shots=shots, seed_simulator=seed).result()
    return [dict(result.get_counts(i)) for i in range(len(compiled))]


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0,
             what: str | Callable[[], str] = "condition", interval: float = 0.05) -> Any:
    """Call ``predicate`` every ``interval`` seconds until it gives something true, and return
    that. After ``timeout`` seconds, ``AssertionError("timed out waiting for <what>")``;
    ``what`` may be a callable, called then, to show the latest state.

    The one polling loop of the tests. For a coroutine function ``predicate`` it returns a
    coroutine to await (it polls with ``asyncio.sleep``, so the event loop keeps serving).
    """
    def timed_out() -> AssertionError:
        return AssertionError(f"timed out waiting for {what() if callable(what) else what}")

    if inspect.iscoroutinefunction(predicate):
        async def polling() -> Any:
            deadline = time.monotonic() + timeout
            while True:
                value = await predicate()
                if value:
                    return value
                if time.monotonic() >= deadline:
                    raise timed_out()
                await asyncio.sleep(interval)

        return polling()
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise timed_out()
        time.sleep(interval)


def assert_store_intact(home: Path, url: str | None = None) -> None:
    """The store passes its integrity check (PRAGMA integrity_check on SQLite; on a
    PostgreSQL store, ``url``, its schema whole and no job without its payload)."""
    import sqlite3

    if url:
        from qnb.store import open_store

        store = open_store(home, url=url)
        try:
            assert store.integrity_check() == "ok"
        finally:
            store.close()
        return
    db = home / "jobs.sqlite"
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()


@contextmanager
def isolated_home(base: Path, config: str = "", env: dict[str, str] | None = None,
                  workdir: Path | None = None) -> Iterator[Path]:
    """A QNB_HOME under ``base`` with this ``config.toml``, the working directory set to
    ``workdir`` (default ``base``) so no stray qnb.toml is read; afterwards its runner is
    stopped and the store must pass ``PRAGMA integrity_check``."""
    import textwrap

    import pytest

    import qnb.defaults as defaults
    from qnb.runner.control import stop_runner
    from qnb.store import forget_store

    home = base / "qnb-home"
    home.mkdir(mode=0o700)  # as qnb makes a new home: private
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QNB_HOME", str(home))
        mp.setenv("QNB_RUNNER_IDLE_TIMEOUT", "120")
        for key, value in (env or {}).items():
            mp.setenv(key, value)
        mp.chdir(workdir or base)
        mp.setattr(defaults, "_chosen", None)
        url = (env or {}).get("QNB_STORE")  # "" keeps the home's SQLite file
        if on_postgres() and url is None:
            url = shared_server().fresh_database()
            mp.setenv("QNB_STORE", url)
        if config:
            (home / "config.toml").write_text(textwrap.dedent(config))
        try:
            yield home
        finally:
            stop_runner(home)
            forget_store(home)
    assert_store_intact(home, url)


# -- a separate Jupyter server process ----------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class JupyterServer:
    """A ``jupyter server`` (or ``jupyter lab``) process started by :func:`start_jupyter`."""

    url: str
    port: int
    token: str
    root: Path
    runtime: Path
    log: Path
    proc: subprocess.Popen = field(repr=False)

    def request(self, method: str, path: str, body: bytes | None = None, token: bool = True,
                headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, bytes]:
        """One request: (HTTP status, body), error statuses included."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"token {self.token}"
        req = urllib.request.Request(f"{self.url}{path}", data=body, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """One JSON request with the token; an error status raises ``HTTPError``."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}", method=method, data=data,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.load(resp)

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Shut its kernels down, stop its process group (TERM, then KILL), and kill any
        kernel of its runtime directory still running. Safe to call again."""
        import psutil

        if self.proc.poll() is None:
            with contextlib.suppress(Exception):  # kernels run in sessions of their own
                for kernel in self.api("GET", "/api/kernels", timeout=10):
                    self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # whatever is left of its group
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        marker = f"{self.runtime}/kernel-"
        for proc in psutil.process_iter(["cmdline"]):
            if any(marker in arg for arg in proc.info["cmdline"] or ()):
                with contextlib.suppress(psutil.Error):
                    proc.kill()


def start_jupyter(base: Path, home: Path, *, app: str = "server", root: Path | None = None,
                  args: Sequence[str] = (), env: dict[str, str] | None = None,
                  ready: Sequence[str] = ("/api/status",), timeout: float = 120,
                  token: str | None = None,
                  server_class: type[JupyterServer] = JupyterServer) -> JupyterServer:
    """Start ``jupyter server`` (``app="server"``), ``jupyter lab`` (``app="lab"``) or Jupyter
    Notebook 7 (``app="notebook"``) with qnb serving ``home``, on a free loopback port with a
    token (given or random), and return a ``server_class`` once every path of ``ready``
    answers. Its files live under ``base``: the log ``jupyter-<app>.log``, its own
    ``jupyter-config`` and ``jupyter-runtime`` directories, and (unless given) ``root``.

    The one launcher of a separate Jupyter server for the tests and the benchmarks; tests
    reach it through the ``jupyter_launcher`` fixture, which also stops what is left.
    """
    base.mkdir(parents=True, exist_ok=True)
    root = root or base / "root"
    root.mkdir(parents=True, exist_ok=True)
    runtime = base / "jupyter-runtime"
    port, token = free_port(), token or secrets.token_hex(16)
    full_env = dict(os.environ, QNB_HOME=str(home), JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
                    JUPYTER_RUNTIME_DIR=str(runtime), IPYTHONDIR=str(base / "ipython"),
                    **(env or {}))
    full_env.pop("JUPYTER_TOKEN", None)
    module = {"server": "jupyter_server", "lab": "jupyterlab", "notebook": "notebook"}[app]
    cmd = [sys.executable, "-m", module, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           *(["--allow-root"] if os.getuid() == 0 else []), *args]
    log = base / f"jupyter-{app}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=full_env, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = server_class(url=f"http://127.0.0.1:{port}", port=port, token=token, root=root,
                           runtime=runtime, log=log, proc=proc)

    def answering() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter {app} exited with {proc.returncode}:\n{server.tail()}")
        try:
            for path in ready:
                server.api("GET", path, timeout=10)
        except OSError:  # not listening yet (URLError, ConnectionError, TimeoutError)
            return False
        return True

    try:
        wait_for(answering, timeout, interval=0.2,
                 what=lambda: f"jupyter {app} to answer in {timeout:.0f} s:\n{server.tail()}")
    except BaseException:
        server.stop()
        raise
    return server
