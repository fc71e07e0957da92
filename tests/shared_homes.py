"""Several QNB_HOMEs sharing one PostgreSQL store, each with a runner of its own: what the
machines of a team deployment are (one user's Jupyter server each, or one runner service
each), on one machine. The test process is a user of the first home."""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from helpers import isolated_home, wait_for
from pg_server import shared_server


@contextmanager
def shared_homes(base: Path, count: int, config: str = "",
                 env: dict[str, str] | None = None) -> Iterator[tuple[list[Path], str]]:
    """``count`` homes (``base/host<i>/qnb-home``, each with this ``config.toml``) on one
    fresh PostgreSQL database; yields (homes, store URL). The test process's QNB_HOME is the
    first; ``QNB_STORE`` (and ``env``) are in its environment, so the runners it starts get
    them too. Afterwards every home's runner is stopped and the store must be intact."""
    from qnb.runner.control import stop_runner
    from qnb.store import forget_store

    url = shared_server().fresh_database()
    folders = [base / f"host{i}" for i in range(count)]
    for folder in folders:
        folder.mkdir()
    homes = [folder / "qnb-home" for folder in folders]
    with isolated_home(folders[0], config, env={"QNB_STORE": url, **(env or {})},
                       workdir=base) as first:
        assert first == homes[0]
        for home in homes[1:]:
            home.mkdir(mode=0o700)
            if config:
                (home / "config.toml").write_text(textwrap.dedent(config))
        try:
            yield homes, url
        finally:
            for home in homes[1:]:
                with contextlib.suppress(Exception):
                    stop_runner(home)
                forget_store(home)


def live_runners(store: Any) -> list[dict[str, Any]]:
    """The runners holding a live lease on ``store``."""
    return [r for r in store.runners() if r["alive"]]


def wait_for_runners(store: Any, count: int, timeout: float = 120) -> list[dict[str, Any]]:
    """Wait until ``count`` runners hold a live lease on ``store``; them."""
    return wait_for(lambda: (lambda r: r if len(r) >= count else None)(live_runners(store)),
                    timeout, lambda: f"{count} runners on the store; {live_runners(store)}",
                    interval=0.2)
