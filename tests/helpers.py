"""Circuits and reference runs shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

QASMBENCH = Path(__file__).resolve().parents[2] / "shared" / "qasmbench" / "small"


def bell(measure: bool = True):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    if measure:
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


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    """Poll ``predicate`` until it gives something true, and return that."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def assert_store_intact(home: Path) -> None:
    import sqlite3

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

    import qnb.api as api
    from qnb.runner.control import stop_runner

    home = base / "qnb-home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QNB_HOME", str(home))
        mp.setenv("QNB_RUNNER_IDLE_TIMEOUT", "120")
        for key, value in (env or {}).items():
            mp.setenv(key, value)
        mp.chdir(workdir or base)
        mp.setattr(api, "_session_backend", None)
        if config:
            (home / "config.toml").write_text(textwrap.dedent(config))
        try:
            yield home
        finally:
            stop_runner(home)
            store = api._stores.pop(home.resolve(), None)
            if store is not None:
                store.close()
    assert_store_intact(home)
