"""How a resource-estimation job (backend ``azure-estimator``) is drawn: per circuit, the
physical qubits and runtime first, then where the qubits go (algorithm vs. T factories, as a
bar), the T factories, the logical qubit, and the error budget's split."""

from __future__ import annotations

import html
from typing import Any

from ..backends.azure_estimator import summary

#: the rows of the table, in order: (label, key of ``summary``)
ROWS = (("physical qubits", "physical_qubits"), ("runtime", "runtime"),
        ("logical qubits", "logical_qubits"), ("logical depth", "logical_depth"),
        ("code distance", "code_distance"), ("T states", "t_states"),
        ("T factories", "t_factories"), ("qubits per T factory", "t_factory_qubits"),
        ("qubits for the algorithm", "qubits_for_algorithm"),
        ("qubits for T factories", "qubits_for_t_factories"), ("rQOPS", "rqops"))


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3g}"
    if isinstance(value, (int, float)):
        return f"{int(value):,}"
    return str(value)


def estimates_html(estimates: list[dict[str, Any]]) -> str:
    """Every circuit's estimate: a headline, a bar of where the physical qubits go, and the
    table of figures."""
    parts = []
    for i, estimate in enumerate(estimates):
        s = summary(estimate)
        label = f"circuit {i}: " if len(estimates) > 1 else ""
        head = (f"<div style='font-size:13px;margin:4px 0'>{html.escape(label)}<b>"
                f"{_fmt(s['physical_qubits'])}</b> physical qubits, runtime <b>"
                f"{html.escape(str(s['runtime'] or '–'))}</b></div>")
        rows = "".join(f"<tr><td style='padding:1px 8px'>{html.escape(name)}</td>"
                       f"<td style='padding:1px 8px;text-align:right'>{_fmt(s[key])}</td></tr>"
                       for name, key in ROWS)
        budget = "".join(f"<tr><td style='padding:1px 8px'>error budget: {html.escape(k)}</td>"
                         f"<td style='padding:1px 8px;text-align:right'>{v:.3g}</td></tr>"
                         for k, v in s["error_budget"].items())
        parts.append(f"<div class='qnb-estimate'>{head}{_split_bar(s)}<table "
                     f"class='qnb-estimate-table' style='border-collapse:collapse;"
                     f"font-size:12px'>{rows}{budget}</table></div>")
    return "".join(parts) or "<div>no estimates</div>"


def _split_bar(s: dict[str, Any]) -> str:
    """An SVG bar: the algorithm's physical qubits beside the T factories'."""
    algo, factories = s["qubits_for_algorithm"] or 0, s["qubits_for_t_factories"] or 0
    total = algo + factories
    if not total:
        return ""
    width = 320
    a = round(width * algo / total)
    return (f"<svg class='qnb-estimate-bar' width='{width}' height='30' role='img' "
            f"aria-label='physical qubits: {algo:,} for the algorithm, {factories:,} for T "
            f"factories'><rect x='0' y='0' width='{a}' height='14' fill='#1a73e8'/>"
            f"<rect x='{a}' y='0' width='{width - a}' height='14' fill='#f9ab00'/>"
            f"<text x='0' y='27' font-size='10'>algorithm {algo / total:.0%}</text>"
            f"<text x='{width}' y='27' font-size='10' text-anchor='end'>T factories "
            f"{factories / total:.0%}</text></svg>")


def estimates_text(estimates: list[dict[str, Any]]) -> list[str]:
    lines = []
    for i, estimate in enumerate(estimates):
        s = summary(estimate)
        where = f"circuit {i}: " if len(estimates) > 1 else ""
        lines.append(f"  {where}{_fmt(s['physical_qubits'])} physical qubits, runtime "
                     f"{s['runtime'] or '–'}, {_fmt(s['t_factories'])} T factories, "
                     f"code distance {_fmt(s['code_distance'])}")
    return lines
