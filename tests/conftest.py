"""Shared fixtures: every test gets its own QNB_HOME, and its runner is stopped afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import isolated_home


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
