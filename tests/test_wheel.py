"""The wheel users install: built from the sources as a clone has them, installed (not
editable) into a fresh virtualenv, it carries the prebuilt JupyterLab extension and the
server extension's configuration, both are enabled there, and a job runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BUILT_EXTENSION = ROOT / "qnb" / "labextension"

JOB = """
import json, os, sys
from pathlib import Path

import qnb
import qnb.runner
from qiskit import QuantumCircuit

home = Path(os.environ["QNB_HOME"])
qc = QuantumCircuit(2)
qc.h(0)
qc.cx(0, 1)
qc.measure_all()
try:
    job = qnb.submit(qc, seed=1)
    status = str(job.wait(timeout=240))
    print(json.dumps({"file": qnb.__file__, "prefix": sys.prefix, "status": status,
                      "error": job.error, "counts": job.counts() if status == "DONE" else None}))
finally:
    qnb.runner.stop_runner(home)
"""


def run(cmd: list[str | Path], timeout: float = 600, **kwargs) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return ANSI.sub("", proc.stdout + proc.stderr)


def copy_sources(dest: Path) -> None:
    """What a clone of the work tree holds (tracked and untracked files that are not
    ignored), plus the prebuilt extension ``scripts/setup.sh`` wrote to qnb/labextension:
    with it there, the build hook skips npm (``skip-if-exists`` in pyproject.toml)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        path = ROOT / rel
        if path.is_file():  # not a file deleted from the work tree
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
    shutil.copytree(BUILT_EXTENSION, dest / "qnb" / "labextension")


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_wheel_installs_with_both_extensions_enabled_and_runs_a_job(tmp_path):
    t0 = time.monotonic()
    uv = Path(sys.executable).with_name("uv")
    assert uv.exists(), f"{uv} is missing: scripts/setup.sh installs it"
    assert (BUILT_EXTENSION / "static" / "style.js").exists(), (
        "the JupyterLab extension is not built: run scripts/setup.sh")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

    # Build as `python -m build` does: an sdist, then the wheel from that sdist.
    src, dist = tmp_path / "src", tmp_path / "dist"
    copy_sources(src)
    run([uv, "build", "--python", sys.executable, "--out-dir", dist, src])
    [wheel] = dist.glob(f"qnb-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        data = f"qnb-{version}.data/data/"
        config = f"{data}etc/jupyter/jupyter_server_config.d/qnb.json"
        assert config in names, sorted(names)
        assert json.loads(zf.read(config)) == {"ServerApp": {"jpserver_extensions": {"qnb": True}}}
    labext = f"{data}share/jupyter/labextensions/qnb-labextension/"
    for built in BUILT_EXTENSION.rglob("*"):
        if built.is_file():
            assert f"{labext}{built.relative_to(BUILT_EXTENSION)}" in names, sorted(names)
    assert any(re.fullmatch(rf"{labext}static/remoteEntry\.[0-9a-f]+\.js", n) for n in names)
    assert "qnb/__init__.py" in names and "qnb/server/__init__.py" in names
    assert not any(n.startswith(("tests/", "bench/", "labextension/")) for n in names)

    # A fresh virtualenv with the wheel (not editable) and its dependencies at the versions of
    # requirements.lock, linked from uv's cache that scripts/setup.sh filled: no network.
    venv = tmp_path / "venv"
    run([uv, "venv", "--python", sys.executable, venv])
    run([uv, "pip", "install", "--offline", "--python", venv / "bin" / "python",
         "--constraint", ROOT / "requirements.lock", wheel])
    work = tmp_path / "work"  # not the repository: its qnb/ must not be imported
    work.mkdir()
    home = tmp_path / "qnb-home"
    path = [str(venv / "bin")] + [p for p in os.environ.get("PATH", "").split(os.pathsep)
                                  if p and Path(p).resolve() != Path(sys.prefix, "bin").resolve()]
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH"}}
    env.update(PATH=os.pathsep.join(path), VIRTUAL_ENV=str(venv), QNB_HOME=str(home),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
               JUPYTER_PREFER_ENV_PATH="1", QNB_RUNNER_IDLE_TIMEOUT="60")

    def in_venv(*cmd: str | Path, timeout: float = 600) -> str:
        return run(list(cmd), timeout=timeout, cwd=work, env=env)

    labexts = in_venv(venv / "bin" / "jupyter", "labextension", "list")
    assert re.search(rf"^ *qnb-labextension v{re.escape(version)} enabled OK", labexts, re.M), labexts
    where = labexts.split("qnb-labextension")[0].strip().splitlines()[-1].strip()
    assert Path(where) == venv / "share" / "jupyter" / "labextensions", labexts

    servers = in_venv(venv / "bin" / "jupyter", "server", "extension", "list")
    section = servers.split(f"Config dir: {venv / 'etc' / 'jupyter'}")[1].split("Config dir:")[0]
    assert re.search(r"^ +qnb enabled", section, re.M), servers
    assert re.search(rf"^ +qnb {re.escape(version)} OK", section, re.M), servers

    assert "aer" in in_venv(venv / "bin" / "qnb", "backends")
    try:
        out = json.loads(in_venv(venv / "bin" / "python", "-c", JOB).strip().splitlines()[-1])
    finally:
        from qnb.runner.control import stop_runner

        stop_runner(home)
    site = Path(out["prefix"]) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert Path(out["prefix"]) == venv
    assert Path(out["file"]) == site / "site-packages" / "qnb" / "__init__.py", out
    assert out["status"] == "DONE", out
    assert set(out["counts"]) == {"00", "11"}, out
    print(f"wheel built, installed and checked in {time.monotonic() - t0:.0f} s")
