"""Where a job is drawn as static HTML and text: its header, its counts or expectation values
(SVG charts from ``charts.py`` and tables), and the ``%qjobs`` table.

These strings are what a saved notebook keeps, so they need no kernel and no JavaScript;
the live widgets (``widgets.py``) show the same pieces.
"""

from __future__ import annotations

import html
from typing import Any

from .charts import counts_svg, expectation_svg

#: (theme variable, fallback) of each status's badge
STATUS_COLOURS = {
    "QUEUED": ("--jp-layout-color4", "#6c757d"), "RUNNING": ("--jp-brand-color1", "#1a73e8"),
    "DONE": ("--jp-success-color1", "#188038"), "ERROR": ("--jp-error-color1", "#d93025"),
    "CANCELLED": ("--jp-warn-color1", "#b06000"),
}
STATUS_ICONS = {"QUEUED": "⏳", "RUNNING": "▶", "DONE": "✔", "ERROR": "✖", "CANCELLED": "⊘"}
VIEWS = 4  # circuits (or Sampler parameter points) drawn in a static rendering


def top_counts(counts: dict[str, int], limit: int) -> tuple[list[tuple[str, int]], int]:
    """The ``limit`` most frequent outcomes, and how many outcomes were left out."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit], max(0, len(ranked) - limit)


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
    var, fallback = STATUS_COLOURS.get(status, STATUS_COLOURS["QUEUED"])
    return (f"<span class='qnb-status qnb-status-{status.lower()}' style='background:{fallback};"
            f"background:var({var},{fallback});color:#fff;border-radius:3px;padding:1px 6px;"
            f"font-size:11px;font-weight:600'>{STATUS_ICONS.get(status, '')} {status}</span>")


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


def jobs_table_html(records: list[Any], now: float, total: int | None = None, *,
                    owners: bool = False) -> str:
    """The ``%qjobs`` table (with an owner column for a team's jobs)."""
    from datetime import datetime

    names = ("id", "owner", "name") if owners else ("id", "name")
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>" for h in
                   (*names, "backend", "status", "submitted", "elapsed", "detail"))
    rows = []
    for r in records:
        submitted = datetime.fromtimestamp(r.created_at).strftime("%H:%M:%S")
        detail = r.error or r.provider_status or ""
        if r.queue_position is not None:
            detail = f"queue position {r.queue_position}; {detail}"
        rows.append(
            f"<tr data-job-id='{r.id}'><td style='font-family:monospace;padding:2px 8px'>{r.id}</td>"
            + (f"<td style='padding:2px 8px'>{html.escape(r.owner or '')}</td>" if owners else "")
            +             f"<td style='padding:2px 8px'>{html.escape(r.name or '')}{_tag_chips(r)}</td>"
            f"<td style='padding:2px 8px'>{html.escape(r.backend)}</td>"
            f"<td style='padding:2px 8px'>{status_badge(str(r.status))}</td>"
            f"<td style='padding:2px 8px'>{submitted}</td>"
            f"<td style='padding:2px 8px'>{duration(r.elapsed(now))}</td>"
            f"<td style='padding:2px 8px;max-width:30em;overflow:hidden;text-overflow:ellipsis;"
            f"white-space:nowrap' title='{html.escape(detail, quote=True)}'>"
            f"{html.escape(detail[:120])}</td></tr>")
    shown = f"{len(records)} of {total} jobs" if total is not None else f"{len(records)} jobs"
    body = "".join(rows) or (f"<tr><td colspan={len(names) + 5} style='padding:2px 8px'>"
                             "no jobs yet</td></tr>")
    return (f"<div class='qnb-jobs'><table style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<div style='font-size:11px;opacity:.7'>{shown}</div></div>")


def _tag_chips(rec: Any) -> str:
    return "".join(
        "<span style='margin-left:4px;padding:0 4px;border-radius:3px;font-size:11px;"
        "border:1px solid var(--jp-border-color1, #ccc)'>" + html.escape(t) + "</span>"
        for t in getattr(rec, "tags", None) or [])


def jobs_table_text(records: list[Any], total: int | None = None, *,
                    owners: bool = False) -> str:
    """The ``%qjobs`` table as text."""
    lines = [f"{r.id}  " + (f"{r.owner or '-':<12} " if owners else "")
             + f"{r.status:<9} {r.backend:<10} {r.name or ''}"
             f"{''.join(f' [{t}]' for t in r.tags)}".rstrip() for r in records]
    shown = f"({len(records)} of {total} jobs)" if total is not None else f"({len(records)} jobs)"
    return "\n".join([*lines, shown])


# -- one job ------------------------------------------------------------------------------
def job_header_html(rec: Any, now: float) -> str:
    """The job's one-line header: name, id, backend, work, status, elapsed time and what the
    provider says (queue position, estimated start)."""
    seconds = rec.elapsed(now)
    # whole seconds while it runs (fewer updates to the page), exact once it has ended
    elapsed = duration(seconds if rec.is_final or seconds < 1 else float(int(seconds)))
    name = f"<b>{html.escape(rec.name)}</b> · " if rec.name else ""
    extra = []
    if rec.queue_position is not None:
        extra.append(f"queue position {rec.queue_position}")
    if rec.estimated_start is not None and rec.status == "QUEUED":
        left = rec.estimated_start - now
        extra.append(f"estimated start in {duration(float(max(1, int(left))))}"
                     if left > 0 else "estimated start passed")
    if rec.estimated_end is not None and rec.status == "RUNNING":
        left = rec.estimated_end - now
        extra.append(f"about {duration(float(max(1, int(left))))} left" if left > 0
                     else "taking longer than usual")
    phase = rec.progress_phase()
    if (rec.provider_status and rec.provider_status.lower() != str(rec.status).lower()
            and rec.provider_status != phase):  # a phase shows with its bar
        extra.append(html.escape(rec.provider_status))
    known = rec.progress() if not rec.is_final else None
    owner = getattr(rec, "owner", None)
    by = (f"<span class='qnb-owner' title='submitted by'>{html.escape(owner)}</span> · "
          if owner else "")
    return (f"<div class='qnb-job-header' data-status='{rec.status}' style='font-size:13px'>"
            f"{name}<code>{rec.id}</code> · {by}{html.escape(rec.backend)} · {_work(rec)} · "
            f"{status_badge(str(rec.status))} · <span class='qnb-elapsed'>{elapsed}</span>"
            + (f" {progress_html(*known, phase=phase)}" if known else "")
            + (f" <span style='opacity:.7'>({'; '.join(extra)})</span>" if extra else "")
            + "</div>")


def progress_html(done: int, total: int, phase: str | None = None) -> str:
    """A small bar in the theme's colours, and ``done/total circuits`` after the phase they
    count (``transpiling 40/120 circuits``)."""
    share = 100 * done / total if total else 0
    label = f"{html.escape(phase)} " if phase else ""
    return ("<span class='qnb-progress' role='progressbar' "
            f"aria-valuenow='{done}' aria-valuemax='{total}' "
            f"aria-valuetext='{label}{done} of {total} circuits'>"
            "<span style='display:inline-block;vertical-align:middle;width:80px;height:6px;"
            "border-radius:3px;background:var(--jp-layout-color3, #ddd);overflow:hidden'>"
            f"<span style='display:block;height:100%;width:{share:.0f}%;"
            "background:var(--jp-brand-color1, #1976d2)'></span></span> "
            f"{label}{done}/{total} circuits</span>")


def _work(rec: Any) -> str:
    from ..backends.azure_estimator import is_estimate

    if is_estimate(rec):  # no shots: figures per circuit
        work = "resource estimate" + (
            f" · {rec.num_circuits} circuits" if rec.num_circuits > 1 else "")
    elif rec.primitive:
        work = (f"{rec.primitive.capitalize()} · {rec.num_circuits} PUB"
                + ("s" if rec.num_circuits > 1 else ""))
        if rec.primitive == "sampler":
            work += f" · {rec.shots:,} shots"
    else:
        work = f"{rec.shots:,} shots" + (
            f" · {rec.num_circuits} circuits" if rec.num_circuits > 1 else "")
    if rec.session:
        work += f" · session {rec.session}"
    return work


def counts_views(rec: Any, data: dict[str, Any]) -> list[tuple[str, dict[str, dict]]]:
    """What a DONE job with counts shows: per circuit (or Sampler PUB and parameter point) a
    caption and its series (``counts``, or ``raw`` and ``mitigated``)."""
    if rec.primitive == "sampler":
        return [(f"PUB {i}" + (f", point {j}" if len(pub["counts"]) > 1 else ""),
                 {"counts": counts})
                for i, pub in enumerate(data.get("pubs", []))
                for j, counts in enumerate(pub["counts"])]
    counts_list = data.get("counts", [])
    mitigated = data.get("mitigated") or []
    views = []
    for i, counts in enumerate(counts_list):
        series = {"counts": counts}
        if i < len(mitigated) and mitigated[i]:
            series = {"raw": counts, "mitigated": mitigated[i]}
        views.append((f"circuit {i}", series))
    return views


def counts_view_html(series: dict[str, dict]) -> str:
    """One circuit's chart and table (the table of the last series: the mitigated one)."""
    return (f"<div class='qnb-view' style='display:flex;flex-wrap:wrap;gap:16px;"
            f"align-items:flex-start'>{counts_svg(series)}"
            f"{counts_table_html(series[list(series)[-1]])}</div>")


def expectation_view_html(pubs: list[dict[str, Any]]) -> str:
    return (f"<div class='qnb-view' style='display:flex;flex-wrap:wrap;gap:16px;"
            f"align-items:flex-start'>{expectation_svg(pubs)}{expectation_table_html(pubs)}"
            "</div>")


def error_html(rec: Any) -> str:
    var, fallback = STATUS_COLOURS.get(str(rec.status), STATUS_COLOURS["ERROR"])
    return (f"<div class='qnb-error' style='color:{fallback};color:var({var},{fallback});"
            f"white-space:pre-wrap'><b>{rec.status}</b>: "
            f"{html.escape(rec.error or 'no reason given')}</div>")


def outcome_html(rec: Any, data: dict[str, Any] | None) -> str:
    """A finished job's body: its charts and tables, or its error."""
    if rec.status != "DONE":
        return error_html(rec)
    data = data or {}
    if rec.primitive == "estimator":
        return expectation_view_html(data.get("pubs", []))
    if data.get("resource_estimates") is not None:
        from .estimates import estimates_html

        return estimates_html(data["resource_estimates"])
    views = counts_views(rec, data)
    parts = []
    for caption, series in views[:VIEWS]:
        label = (f"<div style='font-size:12px;opacity:.8'>{html.escape(caption)}</div>"
                 if len(views) > 1 else "")
        parts.append(label + counts_view_html(series))
    if len(views) > VIEWS:
        what = "points" if rec.primitive == "sampler" else "circuits"
        parts.append(f"<div class='qnb-more' style='font-size:12px;opacity:.8'>… and "
                     f"{len(views) - VIEWS:,} more {what}: <code>job.counts(i)</code>, or "
                     "<code>job.widget</code> to pick one</div>")
    return "".join(parts) or "<div>no counts</div>"


def job_html(rec: Any, data: dict[str, Any] | None, now: float) -> str:
    """The static rendering of a job: header, then (once it has ended) its outcome."""
    body = outcome_html(rec, data) if rec.is_final else (
        "<div class='qnb-pending' style='font-size:12px;opacity:.7'>the result will replace "
        "this when the job ends</div>")
    return (f"<div class='qnb-job qnb-job-static' data-job-id='{rec.id}' "
            f"data-status='{rec.status}'>{job_header_html(rec, now)}{body}</div>")


def job_repr(rec: Any) -> str:
    name = f" {rec.name!r}" if rec.name else ""
    return f"<Job {rec.id}{name} on {rec.backend}: {rec.status}>"


def job_text(rec: Any, data: dict[str, Any] | None, top: int = 8) -> str:
    """The job as text: its repr, then (once DONE) its top outcomes or expectation values,
    or its error."""
    lines = [job_repr(rec)]
    if not rec.is_final:
        return lines[0]
    if rec.status != "DONE":
        return f"{lines[0]}\n{rec.error or 'no reason given'}"
    data = data or {}
    if rec.primitive == "estimator":
        import numpy as np

        for i, pub in enumerate(data.get("pubs", [])):
            evs, stds = np.ravel(pub["evs"]), np.ravel(pub["stds"])
            for j, (ev, sd) in enumerate(zip(evs[:top], stds[:top], strict=True)):
                where = f"PUB {i}" + (f", point {j}" if len(evs) > 1 else "")
                lines.append(f"  {where}: {ev:+.5f} ± {sd:.5f}")
            if len(evs) > top:
                lines.append(f"  … {len(evs) - top} more points")
        return "\n".join(lines)
    if data.get("resource_estimates") is not None:
        from .estimates import estimates_text

        return "\n".join([lines[0], *estimates_text(data["resource_estimates"])])
    views = counts_views(rec, data)
    each = top if len(views) == 1 else max(2, top // 2)
    for caption, series in views[:VIEWS]:
        counts = series[list(series)[-1]]
        total = sum(counts.values()) or 1
        shown, hidden = top_counts(counts, each)
        title = (f"{caption}: " if len(views) > 1 else f"{rec.shots:,} shots, ") + (
            f"{len(counts):,} outcomes" + (" (mitigated)" if "mitigated" in series else ""))
        lines.append(title)
        width = max((len(k) for k, _ in shown), default=0)
        lines += [f"  {k:<{width}}  {_fmt(v):>9}  {v / total:.3f}" for k, v in shown]
        if hidden:
            lines.append(f"  … {hidden:,} more")
    if len(views) > VIEWS:
        lines.append(f"… and {len(views) - VIEWS:,} more")
    return "\n".join(lines)
