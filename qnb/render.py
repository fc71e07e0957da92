"""Where a result is drawn: counts as a histogram (matplotlib) and as a small HTML table."""

from __future__ import annotations

import html
import io
from typing import Any

STATUS_COLOURS = {
    "QUEUED": "#6c757d", "RUNNING": "#1a73e8", "DONE": "#188038",
    "ERROR": "#d93025", "CANCELLED": "#b06000",
}
STATUS_ICONS = {"QUEUED": "⏳", "RUNNING": "▶", "DONE": "✔", "ERROR": "✖", "CANCELLED": "⊘"}


def top_counts(counts: dict[str, int], limit: int) -> tuple[list[tuple[str, int]], int]:
    """The ``limit`` most frequent outcomes, and how many outcomes were left out."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit], max(0, len(ranked) - limit)


def histogram_png(series: dict[str, dict[str, int]], title: str = "", limit: int = 24) -> bytes:
    """A bar chart of one or more counts dicts (e.g. raw and mitigated) as PNG bytes.

    Outcomes are the ``limit`` most frequent of the first series, in bitstring order,
    drawn as probabilities so series with different totals compare.
    """
    from matplotlib.figure import Figure

    first = next(iter(series.values()))
    shown, hidden = top_counts(first, limit)
    keys = sorted(k for k, _ in shown)
    fig = Figure(figsize=(max(4.0, 0.38 * len(keys) * max(1, len(series)) + 1.5), 2.8), dpi=100)
    fig.patch.set_facecolor("white")
    ax = fig.add_subplot()
    width = 0.8 / len(series)
    palette = ["#6929c4", "#1192e8", "#005d5d", "#9f1853"]
    for i, (label, counts) in enumerate(series.items()):
        total = sum(counts.values()) or 1
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(keys))]
        ys = [max(0.0, counts.get(k, 0)) / total for k in keys]
        bars = ax.bar(xs, ys, width=width, color=palette[i % len(palette)], label=label)
        if len(keys) * len(series) <= 16:
            ax.bar_label(bars, labels=[f"{y:.3f}" for y in ys], fontsize=7, padding=1)
    ax.set_xticks(range(len(keys)), keys, rotation=60 if len(keys[0]) > 3 else 0,
                  fontsize=8, family="monospace")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1.08 * max(1e-9, *(ax.get_ylim()[1:])))
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False)
    note = f" (top {limit} of {limit + hidden} outcomes)" if hidden else ""
    if title or note:
        ax.set_title(title + note, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def expectation_png(pubs: list[dict[str, Any]], title: str = "") -> bytes:
    """Estimator results as PNG: each PUB's expectation values with standard-error bars, as a
    line over the parameter points for a sweep (flattened in C order beyond one dimension)."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 2.8), dpi=100)
    fig.patch.set_facecolor("white")
    ax = fig.add_subplot()
    palette = ["#6929c4", "#1192e8", "#005d5d", "#9f1853"]
    sweep = any(np.size(p["evs"]) > 1 for p in pubs)
    for i, pub in enumerate(pubs):
        evs = np.ravel(pub["evs"]).astype(float)
        stds = np.ravel(pub["stds"]).astype(float)
        xs = np.arange(len(evs)) if sweep else np.array([i])
        colour = palette[i % len(palette)]
        label = f"PUB {i}" if len(pubs) > 1 else None
        if sweep and len(evs) > 1:
            ax.plot(xs, evs, marker="o", markersize=3, color=colour, label=label)
            ax.fill_between(xs, evs - stds, evs + stds, color=colour, alpha=0.2, linewidth=0)
        else:
            ax.errorbar(xs, evs, yerr=stds, fmt="o", capsize=4, color=colour, label=label)
    ax.set_xlabel("parameter point" if sweep else "PUB")
    if not sweep:
        ax.set_xticks(range(len(pubs)))
    ax.set_ylabel("expectation value")
    if len(pubs) > 1 and sweep:
        ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def expectation_table_html(pubs: list[dict[str, Any]], limit: int = 12) -> str:
    """Expectation values ± standard errors, the first ``limit`` of each PUB."""
    import numpy as np

    rows = []
    for i, pub in enumerate(pubs):
        evs, stds = np.ravel(pub["evs"]), np.ravel(pub["stds"])
        for j, (ev, sd) in enumerate(zip(evs[:limit], stds[:limit], strict=True)):
            where = f"PUB {i}" + (f", point {j}" if len(evs) > 1 else "")
            rows.append(f"<tr><td style='padding:0 8px'>{where}</td><td style='text-align:right;"
                        f"padding:0 8px;font-family:monospace'>{ev:+.5f} ± {sd:.5f}</td></tr>")
        if len(evs) > limit:
            rows.append(f"<tr><td colspan=2 style='padding:0 8px'>… {len(evs) - limit} more"
                        "</td></tr>")
    return ("<table class='qnb-evs' style='border-collapse:collapse;font-size:12px'><thead><tr>"
            "<th style='padding:0 8px'>PUB</th><th style='padding:0 8px'>⟨O⟩ ± std</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def counts_table_html(counts: dict[str, Any], limit: int = 8) -> str:
    """The most frequent outcomes with their counts and probabilities."""
    total = sum(counts.values()) or 1
    shown, hidden = top_counts(counts, limit)
    rows = "".join(
        f"<tr><td style='font-family:monospace;padding:0 8px'>{html.escape(k)}</td>"
        f"<td style='text-align:right;padding:0 8px'>{_fmt(v)}</td>"
        f"<td style='text-align:right;padding:0 8px'>{v / total:.3f}</td></tr>"
        for k, v in shown)
    more = f"<tr><td colspan=3 style='padding:0 8px'>… {hidden} more</td></tr>" if hidden else ""
    return (
        "<table class='qnb-counts' style='border-collapse:collapse;font-size:12px'>"
        "<thead><tr><th style='padding:0 8px'>outcome</th><th style='padding:0 8px'>count</th>"
        f"<th style='padding:0 8px'>prob.</th></tr></thead><tbody>{rows}{more}</tbody></table>")


def _fmt(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) else f"{v:.3f}"


def status_badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#6c757d")
    return (f"<span class='qnb-status qnb-status-{status.lower()}' style='background:{colour};"
            f"color:white;border-radius:3px;padding:1px 6px;font-size:11px;font-weight:600'>"
            f"{STATUS_ICONS.get(status, '')} {status}</span>")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def jobs_table_html(records: list[Any], now: float, total: int | None = None) -> str:
    """The ``%qjobs`` table."""
    from datetime import datetime

    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>" for h in
                   ("id", "name", "backend", "status", "submitted", "elapsed", "detail"))
    rows = []
    for r in records:
        submitted = datetime.fromtimestamp(r.created_at).strftime("%H:%M:%S")
        detail = r.error or r.provider_status or ""
        if r.queue_position is not None:
            detail = f"queue position {r.queue_position}; {detail}"
        rows.append(
            f"<tr data-job-id='{r.id}'><td style='font-family:monospace;padding:2px 8px'>{r.id}</td>"
            f"<td style='padding:2px 8px'>{html.escape(r.name or '')}</td>"
            f"<td style='padding:2px 8px'>{html.escape(r.backend)}</td>"
            f"<td style='padding:2px 8px'>{status_badge(str(r.status))}</td>"
            f"<td style='padding:2px 8px'>{submitted}</td>"
            f"<td style='padding:2px 8px'>{duration(r.elapsed(now))}</td>"
            f"<td style='padding:2px 8px;max-width:30em;overflow:hidden;text-overflow:ellipsis;"
            f"white-space:nowrap' title='{html.escape(detail, quote=True)}'>"
            f"{html.escape(detail[:120])}</td></tr>")
    shown = f"{len(records)} of {total} jobs" if total is not None else f"{len(records)} jobs"
    body = "".join(rows) or "<tr><td colspan=7 style='padding:2px 8px'>no jobs yet</td></tr>"
    return (f"<div class='qnb-jobs'><table style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<div style='font-size:11px;opacity:.7'>{shown}</div></div>")
