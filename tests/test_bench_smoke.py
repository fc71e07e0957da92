"""The benchmark suite runs and produces every figure (not whether this machine is fast)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_quick_benchmark_produces_every_figure(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "quick.json").read_text())
    from bench.__main__ import SECTIONS, targets

    assert set(report["results"]) == set(SECTIONS)
    for name, result in report["results"].items():
        assert "error" not in result, (name, result)
    for name, value, met in targets(report["results"]):
        assert value != "–" and met is not None, f"no figure for {name!r}"
    table = (tmp_path / "quick.md").read_text()
    assert ("| target | measured | met |" in table and "2 cores" in table) or "cores" in table
