"""Run tutorial notebooks and store only what nbval checks.

    .venv/bin/python notebooks/refresh_outputs.py notebooks/04-portfolio-qaoa.ipynb

Each notebook runs top to bottom in a fresh kernel with a throwaway ``QNB_HOME`` (offline, as
under test). Cells marked ``# NBVAL_CHECK_OUTPUT`` keep their outputs, sanitised with
``sanitize.cfg`` (so ids and times read ``JOB-ID``, ``DURATION``) and their execution count;
every other cell is cleared. Run it after changing a checked cell, then review the diff.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

HERE = Path(__file__).resolve().parent
CHECK = "NBVAL_CHECK_OUTPUT"


def sanitize_patterns(path: Path = HERE / "sanitize.cfg") -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of an nbval sanitize file."""
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", path.read_text(), flags=re.MULTILINE)


def sanitize(text: str, patterns: list[tuple[str, str]]) -> str:
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def keep_checked(nb: nbformat.NotebookNode, patterns: list[tuple[str, str]]) -> None:
    """Clear every cell's outputs except the checked ones, which are sanitised."""
    nb.metadata.pop("widgets", None)
    nb.metadata.get("language_info", {}).pop("version", None)  # no churn between Pythons
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECK not in cell.source:
            cell.outputs, cell.execution_count = [], None
            continue
        for out in cell.outputs:
            if out.output_type == "stream":
                out.text = sanitize(out.text, patterns)
            elif out.output_type in ("execute_result", "display_data"):
                out.metadata = {}
                for mime in list(out.data):
                    if mime.startswith("text/"):
                        out.data[mime] = sanitize(out.data[mime], patterns)
            elif out.output_type == "error":
                raise RuntimeError(f"a checked cell raised {out.ename}: {out.evalue}")


def refresh(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    # The kernel runs in this Python (as nbval's --nbval-current-env), whatever kernelspecs exist.
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME,
                       kernel_spec_manager=NbvalKernelspecManager())
    NotebookClient(nb, km=km, timeout=timeout,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - t0
    keep_checked(nb, sanitize_patterns())
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="qnb-refresh-"))
    os.environ["QNB_HOME"] = str(home)
    os.environ["QNB_TUTORIAL_OFFLINE"] = "1"
    try:
        for path in args.notebooks:
            print(f"{path}: {refresh(path.resolve(), args.timeout):.1f} s", flush=True)
    finally:
        from qnb.runner.control import stop_runner

        stop_runner(home)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
