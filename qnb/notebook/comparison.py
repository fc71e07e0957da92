"""``qnb.compare`` (this module is not ``qnb/compare.py``: a submodule of that name would
replace the function on the package): several jobs' counts overlaid, with the distance
between each pair.

Total variation distance is ``0.5 * sum |p - q|`` (0 for equal distributions, 1 for
disjoint ones); Hellinger fidelity is Qiskit's ``hellinger_fidelity`` (1 for equal, 0 for
disjoint). Quasi-probabilities (readout-mitigated counts) are clipped at zero and
normalised first.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .charts import counts_svg, probabilities


class PairTable(Mapping[tuple[str, str], float]):
    """A measure for each pair of compared distributions, looked up by their labels or
    positions in either order: ``table["aer", "noisy"]``, ``table[0, 1]``."""

    def __init__(self, labels: list[str], values: dict[tuple[str, str], float]) -> None:
        self._labels = labels
        self._values = values

    def _key(self, key: tuple[Any, Any]) -> tuple[str, str]:
        a, b = (self._labels[k] if isinstance(k, int) else k for k in key)
        if (a, b) in self._values:
            return a, b
        if (b, a) in self._values:
            return b, a
        raise KeyError(f"no pair {key!r}; compared: {', '.join(self._labels)}")

    def __getitem__(self, key: tuple[Any, Any]) -> float:
        return self._values[self._key(key)]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(self._values)


def tvd(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total variation distance between two counts (or probability) dicts."""
    p, q = probabilities(p), probabilities(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


def hellinger(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Hellinger fidelity between two counts (or probability) dicts, by Qiskit."""
    from qiskit.quantum_info import hellinger_fidelity

    return float(hellinger_fidelity(probabilities(p), probabilities(q)))


@dataclass
class Comparison:
    """What ``qnb.compare`` found: each distribution's counts under its label, and the total
    variation distance (``tvd``) and Hellinger fidelity (``hellinger``) of each pair.
    Displays itself as a grouped bar chart with a table of the pairs."""

    labels: list[str]
    counts: dict[str, dict[str, float]]
    tvd: PairTable
    hellinger: PairTable

    def pairs(self) -> list[tuple[str, str, float, float]]:
        """``(label_a, label_b, tvd, hellinger fidelity)`` for each pair."""
        return [(a, b, self.tvd[a, b], self.hellinger[a, b]) for a, b in self.tvd]

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='padding:0 8px'>{html.escape(a)}</td>"
            f"<td style='padding:0 8px'>{html.escape(b)}</td>"
            f"<td style='padding:0 8px;text-align:right;font-family:monospace'>{t:.4f}</td>"
            f"<td style='padding:0 8px;text-align:right;font-family:monospace'>{h:.4f}</td></tr>"
            for a, b, t, h in self.pairs())
        table = ("<table class='qnb-compare-table' style='border-collapse:collapse;"
                 "font-size:12px'><thead><tr><th style='padding:0 8px'>A</th>"
                 "<th style='padding:0 8px'>B</th><th style='padding:0 8px'>TVD</th>"
                 "<th style='padding:0 8px'>Hellinger fidelity</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
        return (f"<div class='qnb-compare' style='display:flex;flex-wrap:wrap;gap:16px;"
                f"align-items:flex-start'>{counts_svg(self.counts, css_class='qnb-compare-chart')}"
                f"{table}</div>")

    def __repr__(self) -> str:
        lines = [f"<Comparison of {', '.join(self.labels)}>"]
        width = max(len(f"{a} vs {b}") for a, b in self.tvd)
        lines += [f"  {f'{a} vs {b}':<{width}}  TVD {t:.4f}  Hellinger fidelity {h:.4f}"
                  for a, b, t, h in self.pairs()]
        return "\n".join(lines)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}


def _counts_of(item: Any, index: int) -> dict[str, float]:
    """The counts of a Job (circuit or Sampler PUB ``index``; waits for it), a JobResult, or
    a counts dict as given."""
    from ..job import Job, JobResult

    if isinstance(item, Mapping):
        return dict(item)
    if isinstance(item, JobResult):
        return item.get_counts(index)
    if isinstance(item, Job):
        if item.record.primitive == "estimator":
            raise ValueError(f"job {item.id} is an Estimator job: it has expectation values, "
                             "not counts, to compare")
        return item.counts(index)
    raise TypeError(f"compare takes jobs, job results or counts dicts, not "
                    f"{type(item).__name__}")


def _labels(items: tuple[Any, ...]) -> list[str]:
    """Each job's name (or id; the id too where names repeat), ``counts i`` for dicts."""
    from ..job import Job, JobResult

    def plain(i: int, item: Any) -> str:
        if isinstance(item, Job):
            return item.name or item.id
        if isinstance(item, JobResult):
            return item.job_id
        return f"counts {i}"

    first = [plain(i, item) for i, item in enumerate(items)]
    labels = [f"{label} ({item.id})" if first.count(label) > 1 and isinstance(item, Job)
              and label != item.id else label for label, item in zip(first, items, strict=True)]
    return [f"{label} #{i}" if labels.count(label) > 1 else label
            for i, label in enumerate(labels)]


def compare(*items: Any, labels: list[str] | None = None, index: int = 0) -> Comparison:
    """Compare the counts of two or more jobs (circuit or Sampler PUB ``index`` of each;
    waits for them), job results or counts dicts: simulator against device, raw against
    mitigated, one backend against another. Labels default to the jobs' names (or ids)."""
    if len(items) < 2:
        raise ValueError("compare needs two or more jobs (or counts) to compare")
    labels = list(labels) if labels is not None else _labels(items)
    if len(labels) != len(items) or len(set(labels)) != len(labels):
        raise ValueError(f"compare needs one distinct label per item, got {labels!r}")
    counts = {label: _counts_of(item, index) for label, item in zip(labels, items, strict=True)}
    pairs = list(itertools.combinations(labels, 2))
    return Comparison(
        labels=labels, counts=counts,
        tvd=PairTable(labels, {(a, b): tvd(counts[a], counts[b]) for a, b in pairs}),
        hellinger=PairTable(labels, {(a, b): hellinger(counts[a], counts[b]) for a, b in pairs}))
