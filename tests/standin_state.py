"""The state of a cloud service's stand-in, kept in files under one folder so that the
test process and the runner process (which makes the calls) share it: a scenario (how the
service behaves now), a log of the calls it answered, and its own records."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


class StandinState:
    """The folder ``$<env>`` (or ``$QNB_HOME/<name>``) with ``scenario.json``, ``calls.log``
    and the record folders ``records``."""

    def __init__(self, env: str, name: str, records: tuple[str, ...],
                 defaults: dict[str, Any]) -> None:
        self.env, self.name, self.records, self.defaults = env, name, records, defaults
        self.lock = threading.Lock()

    def folder(self) -> Path:
        path = Path(os.environ.get(self.env) or Path(os.environ["QNB_HOME"]) / self.name)
        for sub in self.records:
            (path / sub).mkdir(parents=True, exist_ok=True)
        return path

    def saved(self) -> dict[str, Any]:
        """The scenario's changes from the defaults."""
        try:
            return json.loads((self.folder() / "scenario.json").read_text())
        except (OSError, ValueError):
            return {}

    def scenario(self) -> dict[str, Any]:
        return {**self.defaults, **self.saved()}

    def reset(self, **changes: Any) -> None:
        """Back to the defaults (with ``changes``), forgetting earlier changes."""
        self.write(self.folder() / "scenario.json", json.dumps(changes))

    def change(self, **changes: Any) -> None:
        """Change how the service behaves from now on (kept with earlier changes)."""
        with self.lock:
            self.write(self.folder() / "scenario.json", json.dumps({**self.saved(), **changes}))

    def log(self, line: str) -> None:
        with self.lock, open(self.folder() / "calls.log", "a") as fh:
            fh.write(line + "\n")

    def logged(self) -> list[str]:
        try:
            return (self.folder() / "calls.log").read_text().splitlines()
        except OSError:
            return []

    @staticmethod
    def write(path: Path, text: str | bytes) -> None:
        """Write a file whole or not at all (the other process may read it meanwhile)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(text.encode() if isinstance(text, str) else text)
        tmp.replace(path)
