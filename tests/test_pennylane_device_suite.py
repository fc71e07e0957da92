"""PennyLane's own device test suite (``pennylane/devices/tests``, shipped with PennyLane)
against ``qnb.qubit`` on Aer, analytic and with 20,000 shots, every circuit a qnb job through
the real runner. The jax / torch / tf interfaces are left out (not installed here).

Each run is a separate pytest process, as PennyLane documents running it
(``pytest pennylane/devices/tests --device=qnb.qubit``); a failure shows its failing tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import isolated_home

SUITE_TIMEOUT = 600  # seconds; it takes about 25 s here


def suite_dir() -> Path:
    import pennylane

    return Path(pennylane.__file__).parent / "devices" / "tests"


@pytest.mark.parametrize("shots", [None, 20000], ids=["analytic", "shots"])
def test_pennylane_device_suite_passes_on_qnb_qubit(tmp_path, shots):
    args = [sys.executable, "-m", "pytest", str(suite_dir()), "--device=qnb.qubit",
            "-k", "not jax and not torch and not tf", "-q", "-rfE", "-p", "no:cacheprovider",
            "-p", "no:randomly", "--color=no"]
    if shots is not None:
        args.append(f"--shots={shots}")
    with isolated_home(tmp_path, "[runner]\nworkers = 1\n"):
        run = subprocess.run(args, capture_output=True, text=True, timeout=SUITE_TIMEOUT,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:]
    failures = [line for line in run.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert run.returncode == 0, f"{summary}\n" + "\n".join(failures[:50])
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) > 300, summary  # the suite ran, not just collected
