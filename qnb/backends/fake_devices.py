"""The noisy device models of ``qiskit_ibm_runtime.fake_provider``, looked up without importing it.

Importing the fake provider takes seconds, too long for checking a profile or listing backends
in a kernel, so names and widths are read from the package's own files (its ``backends``
``__init__`` and each device's ``conf_*.json``). Only the worker that runs a job imports it.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .base import ProfileError


@dataclass(frozen=True)
class FakeDevice:
    class_name: str  # FakeManilaV2
    backend_name: str  # fake_manila
    folder: Path

    @property
    def num_qubits(self) -> int:
        return _num_qubits(self.folder)

    def load(self) -> Any:
        """Instantiate the device model (imports qiskit_ibm_runtime.fake_provider)."""
        import qiskit_ibm_runtime.fake_provider as fake_provider

        return getattr(fake_provider, self.class_name)()


@cache
def _backends_dir() -> Path | None:
    spec = importlib.util.find_spec("qiskit_ibm_runtime")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "fake_provider" / "backends"
    return path if path.is_dir() else None


@cache
def catalog() -> dict[str, FakeDevice]:
    """Every fake device by class name (empty when qiskit-ibm-runtime is not installed)."""
    root = _backends_dir()
    if root is None:
        return {}
    text = (root / "__init__.py").read_text(encoding="utf-8")
    devices = {}
    for folder, class_name in re.findall(r"^from \.(\w+) import (\w+)", text, re.MULTILINE):
        devices[class_name] = FakeDevice(class_name, _backend_name(root / folder, folder),
                                         root / folder)
    return devices


def _backend_name(folder: Path, short: str) -> str:
    for py in folder.glob("fake_*.py"):
        match = re.search(r'^\s*backend_name\s*=\s*"([^"]+)"', py.read_text(encoding="utf-8"),
                          re.MULTILINE)
        if match:
            return match.group(1)
    return f"fake_{short}"


@cache
def _num_qubits(folder: Path) -> int:
    conf = next(folder.glob("conf_*.json"))
    return int(json.loads(conf.read_text(encoding="utf-8"))["n_qubits"])


def find(name: str, field: str = "device") -> FakeDevice:
    """The device called ``name`` (class name like ``FakeManilaV2`` or backend name like
    ``fake_manila``, any case); ``ProfileError`` naming ``field`` and close matches otherwise."""
    devices = catalog()
    if not devices:
        raise ProfileError("qiskit-ibm-runtime is not installed, so no fake devices exist", field)
    wanted = name.strip().lower()
    for dev in devices.values():
        if wanted in (dev.class_name.lower(), dev.backend_name.lower()):
            return dev
    names = sorted(devices)
    close = difflib.get_close_matches(name, names + [d.backend_name for d in devices.values()],
                                      n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ProfileError(
        f"unknown device {name!r}{hint} (devices of qiskit_ibm_runtime.fake_provider: "
        f"{', '.join(names[:8])}, ... {len(names)} in all)", field)
