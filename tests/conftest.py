"""Shared fixtures: every test gets its own QNB_HOME, and its runner is stopped afterwards;
a separate Jupyter server process comes from ``jupyter_launcher``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from helpers import JupyterServer, isolated_home, start_jupyter


@pytest.fixture
def qnb_home(tmp_path: Path):
    """A fresh QNB_HOME (and working directory, so no stray qnb.toml is read)."""
    work = tmp_path / "work"
    work.mkdir()
    with isolated_home(tmp_path, workdir=work) as home:
        yield home


@pytest.fixture
def store(qnb_home: Path):
    from qnb.api import get_store

    return get_store()


@pytest.fixture(scope="session")
def jupyter_launcher(tmp_path_factory: pytest.TempPathFactory):
    """The one way a test starts a separate ``jupyter server`` / ``jupyter lab`` process:
    ``launch(home, base=None, **options)`` takes the options of ``helpers.start_jupyter``
    and returns a running :class:`helpers.JupyterServer` (its files under ``base``, default a
    fresh temporary directory). Stop it with ``server.stop()``; whatever is still running at
    the end of the session is stopped then. In-process REST tests use pytest-jupyter's
    ``jp_fetch`` instead."""
    started: list[JupyterServer] = []

    def launch(home: Path, base: Path | None = None, **options) -> JupyterServer:
        server = start_jupyter(base or tmp_path_factory.mktemp("jupyter"), home, **options)
        started.append(server)
        return server

    yield launch
    for server in started:
        server.stop()


@pytest.fixture
async def jp_asyncio_loop() -> asyncio.AbstractEventLoop:
    """pytest-jupyter's server (``jp_fetch``, ``jp_serverapp``) serves on the loop
    pytest-asyncio runs each test in (it takes every coroutine test)."""
    return asyncio.get_running_loop()
