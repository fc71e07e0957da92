"""nbval runs the tutorials here against a throwaway QNB_HOME, never the developer's ~/.qnb.

The variables are set when pytest imports this file, before nbval starts any kernel, so every
notebook kernel (and the runner it spawns) inherits them. The runner is stopped and the
folder removed when the session ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SANITIZE = HERE / "sanitize.cfg"

_home = Path(tempfile.mkdtemp(prefix="qnb-notebooks-"))
os.environ["QNB_HOME"] = str(_home)
# Notebook 2 uses an IBM Quantum account when one is saved; under test it must not.
os.environ["QNB_TUTORIAL_OFFLINE"] = "1"


def pytest_configure(config: pytest.Config) -> None:
    """Sanitise ids and times with sanitize.cfg unless --nbval-sanitize-with names a file, and
    run the kernels in this Python environment unless --nbval-kernel-name names a kernel (a
    "python3" kernelspec of the user's could point at another Python without qnb)."""
    option = config.option
    if not hasattr(option, "nbval_sanitize_with"):
        return  # nbval is not installed
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)
    if not option.nbval_kernel_name:
        option.nbval_current_env = True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from qnb.runner.control import stop_runner

    stop_runner(_home)
    shutil.rmtree(_home, ignore_errors=True)
