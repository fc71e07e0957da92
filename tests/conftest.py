"""Shared fixtures: every test gets its own QNB_HOME, and its runner is stopped afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest


@pytest.fixture
def qnb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh QNB_HOME (and working directory, so no stray qnb.toml is read)."""
    home = tmp_path / "qnb-home"
    home.mkdir()
    monkeypatch.setenv("QNB_HOME", str(home))
    monkeypatch.setenv("QNB_RUNNER_IDLE_TIMEOUT", "120")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    import qnb.api as api

    monkeypatch.setattr(api, "_session_backend", None)
    yield home
    from qnb.runner.control import stop_runner

    stop_runner(home)
    api._stores.pop(home.resolve(), None)
    db = home / "jobs.sqlite"
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()


@pytest.fixture
def store(qnb_home: Path):
    from qnb.api import get_store

    return get_store()
