"""Run tutorial notebooks and store what nbval checks and the pictures a reader needs.

    .venv/bin/python notebooks/refresh_outputs.py notebooks/04-portfolio-qaoa.ipynb

Each notebook runs top to bottom in a fresh kernel with a throwaway ``QNB_HOME`` (offline, as
under test). Cells marked ``# NBVAL_CHECK_OUTPUT`` keep their outputs, sanitised with
``sanitize.cfg`` (so ids and times read ``JOB-ID``, ``DURATION``) and their execution count.
Other cells keep only their pictures, so the tutorials read well on GitHub and nbviewer
without running: each job's final rendering (HTML with an inline SVG chart, and text),
comparisons, and matplotlib figures (PNG or SVG), their text sanitised the same way (and job
ids masked wherever they appear), without widget views (their state is not saved). A job
output is kept only once its job has ended: the run waits for every job shown. Everything
else is cleared. Seeded results then give the same file on every refresh; only pictures of
timings (latency plots) change. Run it after changing a notebook, then review the diff.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Set
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

HERE = Path(__file__).resolve().parent
CHECK = "NBVAL_CHECK_OUTPUT"
WIDGET = "application/vnd.jupyter.widget-view+json"
IMAGES = ("image/png", "image/svg+xml")
BIG_PNG = 150_000  # bytes: a picture this large is worth a smaller figure

# Run after the last cell, then removed: waits until every job shown has ended and its
# outputs were replaced by the final rendering, so a job that ends after the notebook's last
# cell keeps its result.
SETTLE = """\
import gc as _gc, time as _time
from qnb.notebook.widgets import JobWidget as _JobWidget
_deadline = _time.monotonic() + {timeout}
for _w in [_o for _o in _gc.get_objects() if isinstance(_o, _JobWidget)]:
    _w.ended.wait(max(0.0, _deadline - _time.monotonic()))
"""


class Client(NotebookClient):
    """Applies every output update the way JupyterLab does, whichever cell is running.

    When a job ends, the kernel's watcher thread replaces its output by display id
    (``update_display_data``). The message carries the header of the cell that ran last, and
    nbclient drops messages of any cell but the running one: an update sent between two
    cells, or during a cell that has finished on nbclient's side, would be lost and the
    output left as the live widget."""

    async def _async_poll_output_msg(self, parent_msg_id: str, cell: nbformat.NotebookNode,
                                     cell_index: int) -> None:
        assert self.kc is not None
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return
            elif msg["msg_type"] == "update_display_data":
                display_id = (msg["content"].get("transient") or {}).get("display_id")
                if display_id:
                    self._update_display_id(display_id, msg)


def sanitize_patterns(path: Path = HERE / "sanitize.cfg") -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of an nbval sanitize file."""
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", path.read_text(), flags=re.MULTILINE)


def sanitize(text: str, patterns: list[tuple[str, str]]) -> str:
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def is_picture(out: nbformat.NotebookNode) -> bool:
    """A job's final rendering or a comparison (HTML with an inline SVG chart), or a figure.

    A job output captured before its job ended shows the live widget and a pending note, no
    chart: it is not a picture, and is dropped rather than saved as a widget that cannot load.
    """
    if out.output_type not in ("execute_result", "display_data"):
        return False
    return "<svg" in out.data.get("text/html", "") or any(m in out.data for m in IMAGES)


def job_ids() -> set[str]:
    """The ids of every job in this run's store (that of ``QNB_HOME``)."""
    from qnb.store import get_store

    return {rec.id for rec, _ in get_store().scan()}


def sanitize_output(out: nbformat.NotebookNode, patterns: list[tuple[str, str]],
                    ids: Set[str] = frozenset()) -> None:
    """Mask what varies between runs in an output's text (ids, times, addresses) and drop
    its widget view. ``ids`` are job ids to mask wherever they appear: a job's HTML names
    its id in attributes and its header, not only after "job"."""
    if out.output_type == "stream":
        out.text = sanitize(out.text, patterns)
        return
    out.data.pop(WIDGET, None)
    out.metadata = {k: v for k, v in out.metadata.items() if k in IMAGES}
    for mime in list(out.data):
        if mime.startswith("text/"):
            text = out.data[mime]
            if ids:
                text = re.sub(r"\b[0-9a-f]{12}\b",
                              lambda m: "JOB-ID" if m[0] in ids else m[0], text)
            out.data[mime] = sanitize(text, patterns)


def keep_outputs(nb: nbformat.NotebookNode, patterns: list[tuple[str, str]],
                 ids: Set[str] = frozenset()) -> list[str]:
    """Keep the checked cells' outputs (sanitised with ``patterns``, as nbval will compare
    them) and the other cells' pictures (sanitised, job ``ids`` masked too); clear the rest.
    Returns warnings: job outputs that never got their final rendering, large PNGs."""
    nb.metadata.pop("widgets", None)
    nb.metadata.get("language_info", {}).pop("version", None)  # no churn between Pythons
    warnings = []
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        checked = CHECK in cell.source
        kept = []
        for out in cell.outputs:
            if out.output_type == "error":
                raise RuntimeError(f"cell {index} raised {out.ename}: {out.evalue}")
            if not (checked or is_picture(out)):
                if out.get("data", {}).get(WIDGET) and "qnb-job" in out.data.get("text/html", ""):
                    warnings.append(f"cell {index}: a job output was saved before its job "
                                    "ended; dropped (make the notebook wait for the job)")
                continue
            sanitize_output(out, patterns, frozenset() if checked else ids)
            png = out.get("data", {}).get("image/png")
            if png and len(base64.b64decode(png)) > BIG_PNG:
                warnings.append(f"cell {index}: a {len(base64.b64decode(png)) // 1000} KB PNG")
            kept.append(out)
        cell.outputs = kept
        if not kept:
            cell.execution_count = None
    return warnings


def refresh(path: Path, timeout: int) -> tuple[float, list[str]]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(SETTLE.format(timeout=timeout)))
    t0 = time.perf_counter()
    # The kernel runs in this Python (as nbval's --nbval-current-env), whatever kernelspecs exist.
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME,
                       kernel_spec_manager=NbvalKernelspecManager())
    Client(nb, km=km, timeout=timeout,
           resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - t0
    nb.cells.pop()
    warnings = keep_outputs(nb, sanitize_patterns(), job_ids())
    nbformat.write(nb, path)
    return elapsed, warnings


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
            elapsed, warnings = refresh(path.resolve(), args.timeout)
            print(f"{path}: {elapsed:.1f} s, {path.stat().st_size // 1000} KB", flush=True)
            for warning in warnings:
                print(f"  warning: {warning}", flush=True)
    finally:
        from qnb.runner.control import stop_runner
        from qnb.store import forget_store

        stop_runner(home)
        forget_store(home)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
