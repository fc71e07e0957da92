"""What the docs promise exists: dashboard metrics, README commands and links."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

ROOT = Path(__file__).resolve().parents[1]


def test_every_metric_of_the_example_dashboard_is_exported(qnb_home, store):
    from helpers import bell

    import qnb
    from qnb.metrics import QnbCollector

    qnb.submit(bell(), shots=10).wait(timeout=120)
    registry = CollectorRegistry()
    registry.register(QnbCollector(qnb_home))
    exported = generate_latest(registry).decode()
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    names = {n for e in exprs for n in re.findall(r"\bqnb_[a-z_]+", e)}
    assert names
    for name in names:
        assert re.search(rf"^{name}[{{ ]", exported, re.M), f"{name} is not exported"


def test_readme_links_and_commands_exist():
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\(((?:docs|notebooks)/[^)#]+)\)", readme):
        assert (ROOT / link).exists(), f"README links to missing {link}"
    assert "`make lab`" in readme and "`make test`" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_test_the_readme_cites_exists():
    readme = (ROOT / "README.md").read_text()
    cited = re.findall(r"`(tests/[\w/]+\.py)((?:::\w+)?)`", readme)
    assert cited
    for path, name in cited:
        source = (ROOT / path).read_text()
        if name:
            assert re.search(rf"def {name[2:]}\b", source), f"{path}{name} is not a test"
    for name in re.findall(r"`::(\w+)`", readme):
        assert any(re.search(rf"def {name}\b", (ROOT / p).read_text())
                   for p in {c[0] for c in cited}), f"::{name} is not a test"


def test_every_tutorial_is_committed_with_pictures():
    """Each tutorial reads well without running: it carries at least one picture (a PNG or
    SVG, or a job's HTML rendering with its inline SVG chart) and no widget view, whose state
    a saved notebook does not keep."""
    import nbformat

    tutorials = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    assert len(tutorials) >= 6
    for path in tutorials:
        outputs = [o for c in nbformat.read(path, as_version=4).cells
                   for o in c.get("outputs", [])]
        data = [o.get("data", {}) for o in outputs]
        pictures = [d for d in data if "image/png" in d or "image/svg+xml" in d
                    or "<svg" in d.get("text/html", "")]
        assert pictures, f"{path.name} has no picture in its committed outputs"
        assert not any("application/vnd.jupyter.widget-view+json" in d for d in data), \
            f"{path.name} keeps a widget view, which shows nothing once saved"
