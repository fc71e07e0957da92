// Pure presentation helpers: status look, durations, times, numbers.
// Nothing here touches JupyterLab, so it is unit-tested in isolation.
import type { IJob, JobStatus } from './job';

export interface IStatusInfo {
  /** The status as the server spells it. */
  status: JobStatus | string;
  /** A short human label. */
  label: string;
  /** CSS modifier class; colours come from JupyterLab CSS variables in style/base.css. */
  className: string;
  /** Name of the icon (for tests and titles). */
  iconName: string;
  /** Inline SVG, drawn with currentColor so the status colour applies. */
  svg: string;
  /** One sentence for tooltips. */
  description: string;
}

const svg = (body: string): string =>
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="14" height="14" ' +
  `aria-hidden="true" focusable="false">${body}</svg>`;

export const STATUS_SVGS = {
  // a clock
  queued: svg(
    '<circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" stroke-width="1.5"/>' +
      '<path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/>'
  ),
  // a three-quarter ring (spun by CSS)
  running: svg(
    '<circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-opacity="0.3" stroke-width="2"/>' +
      '<path d="M8 2a6 6 0 0 1 6 6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>'
  ),
  // a check mark in a disc
  done: svg(
    '<circle cx="8" cy="8" r="7" fill="currentColor"/>' +
      '<path d="M4.75 8.25l2.1 2.1 4.4-4.6" fill="none" style="stroke: var(--jp-layout-color1)" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>'
  ),
  // an exclamation mark in a disc
  error: svg(
    '<circle cx="8" cy="8" r="7" fill="currentColor"/>' +
      '<path d="M8 4.25v4.5" style="stroke: var(--jp-layout-color1)" stroke-width="1.7" stroke-linecap="round"/>' +
      '<circle cx="8" cy="11.4" r="1" style="fill: var(--jp-layout-color1)"/>'
  ),
  // a struck-through circle
  cancelled: svg(
    '<circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" stroke-width="1.5"/>' +
      '<path d="M3.6 12.4l8.8-8.8" stroke="currentColor" stroke-width="1.5"/>'
  ),
  // a question mark, for statuses this version does not know
  unknown: svg(
    '<circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" stroke-width="1.5"/>' +
      '<path d="M6.2 6.3a1.9 1.9 0 1 1 2.6 1.75c-.5.25-.8.6-.8 1.2v.4" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round"/>' +
      '<circle cx="8" cy="11.6" r=".8" fill="currentColor"/>'
  )
};

const STATUS_TABLE: Record<JobStatus, Omit<IStatusInfo, 'status' | 'svg'>> = {
  QUEUED: {
    label: 'Queued',
    className: 'qnb-mod-queued',
    iconName: 'queued',
    description: 'Waiting for the runner or the provider to start it'
  },
  RUNNING: {
    label: 'Running',
    className: 'qnb-mod-running',
    iconName: 'running',
    description: 'Running on the backend'
  },
  DONE: {
    label: 'Done',
    className: 'qnb-mod-done',
    iconName: 'done',
    description: 'Finished; results are available'
  },
  ERROR: {
    label: 'Error',
    className: 'qnb-mod-error',
    iconName: 'error',
    description: 'Failed; see the error message'
  },
  CANCELLED: {
    label: 'Cancelled',
    className: 'qnb-mod-cancelled',
    iconName: 'cancelled',
    description: 'Cancelled before it finished'
  }
};

/** How a status looks: label, CSS class and icon. */
export function statusInfo(status: string): IStatusInfo {
  const known = (STATUS_TABLE as Record<string, Omit<IStatusInfo, 'status' | 'svg'>>)[status];
  if (known) {
    return {
      status,
      ...known,
      svg: STATUS_SVGS[known.iconName as keyof typeof STATUS_SVGS]
    };
  }
  const label = status ? status.charAt(0) + status.slice(1).toLowerCase() : 'Unknown';
  return {
    status,
    label,
    className: 'qnb-mod-unknown',
    iconName: 'unknown',
    svg: STATUS_SVGS.unknown,
    description: `Status ${status || '(none)'}`
  };
}

/**
 * A status badge: `<span class="qnb-Status qnb-mod-done" data-status="DONE">`
 * holding the icon and the label.
 */
export function renderStatusBadge(status: string, doc: Document = document): HTMLSpanElement {
  const info = statusInfo(status);
  const badge = doc.createElement('span');
  badge.className = `qnb-Status ${info.className}`;
  badge.dataset.status = status;
  badge.title = `${info.label}: ${info.description}`;
  badge.setAttribute('aria-label', info.label);
  const icon = doc.createElement('span');
  icon.className = 'qnb-StatusIcon';
  icon.dataset.icon = info.iconName;
  icon.innerHTML = info.svg;
  const label = doc.createElement('span');
  label.className = 'qnb-StatusLabel';
  label.textContent = info.label;
  badge.append(icon, label);
  return badge;
}

/** Parse an ISO time; null for missing or unparsable values. */
export function parseTime(value: string | null | undefined): number | null {
  if (!value) {
    return null;
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A compact duration: "850 ms", "4.2 s", "42 s", "3m 07s", "2h 05m", "3d 04h".
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return '—';
  }
  if (ms < 0) {
    ms = 0;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 10) {
    // one decimal, but never "10.0 s"
    const rounded = Math.round(seconds * 10) / 10;
    if (rounded < 10) {
      return `${rounded.toFixed(1)} s`;
    }
  }
  const total = Math.round(seconds);
  if (total < 60) {
    return `${total} s`;
  }
  const s = total % 60;
  const totalMinutes = Math.floor(total / 60);
  if (totalMinutes < 60) {
    return `${totalMinutes}m ${pad2(s)}s`;
  }
  const m = totalMinutes % 60;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) {
    return `${totalHours}h ${pad2(m)}m`;
  }
  const h = totalHours % 24;
  const d = Math.floor(totalHours / 24);
  return `${d}d ${pad2(h)}h`;
}

/**
 * A relative time: "just now", "12 s ago", "5 min ago", "3 h ago",
 * "2 d ago"; a date beyond a week. Future times (clock skew) read "just now".
 * `compact` gives the table's short form: "now", "12s ago", "5m ago", "3h ago".
 */
export function formatRelativeTime(
  value: string | null | undefined,
  now: number = Date.now(),
  compact = false
): string {
  const t = parseTime(value);
  if (t === null) {
    return '—';
  }
  const unit = (n: number, long: string, short: string): string =>
    compact ? `${n}${short} ago` : `${n} ${long} ago`;
  const seconds = Math.floor((now - t) / 1000);
  if (seconds < 5) {
    return compact ? 'now' : 'just now';
  }
  if (seconds < 60) {
    return unit(seconds, 's', 's');
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return unit(minutes, 'min', 'm');
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return unit(hours, 'h', 'h');
  }
  const days = Math.floor(hours / 24);
  if (days < 7) {
    return unit(days, 'd', 'd');
  }
  return new Date(t).toISOString().slice(0, 10);
}

/** A full local timestamp for tooltips and the details view. */
export function formatTimestamp(value: string | null | undefined): string {
  const t = parseTime(value);
  if (t === null) {
    return '—';
  }
  const d = new Date(t);
  return (
    `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
  );
}

export interface IJobTiming {
  /** "run", "wait" or "none" */
  kind: 'run' | 'wait' | 'none';
  /** milliseconds, or null when unknown */
  ms: number | null;
  /** what to show in the table */
  text: string;
  /** tooltip */
  title: string;
}

/**
 * The time column of a job: how long it has been waiting (QUEUED), running
 * (RUNNING, still ticking), or how long it ran (finished).
 */
export function jobTiming(job: Pick<IJob, 'status' | 'created_at' | 'started_at' | 'finished_at'>, now: number = Date.now()): IJobTiming {
  const created = parseTime(job.created_at);
  const started = parseTime(job.started_at);
  const finished = parseTime(job.finished_at);
  switch (job.status) {
    case 'QUEUED': {
      const ms = created === null ? null : Math.max(0, now - created);
      return { kind: 'wait', ms, text: formatDuration(ms), title: 'Waiting time' };
    }
    case 'RUNNING': {
      const ms = started === null ? null : Math.max(0, now - started);
      return { kind: 'run', ms, text: formatDuration(ms), title: 'Running for' };
    }
    default: {
      if (started !== null && finished !== null) {
        const ms = Math.max(0, finished - started);
        return { kind: 'run', ms, text: formatDuration(ms), title: 'Run time' };
      }
      return { kind: 'none', ms: null, text: '—', title: 'Never started' };
    }
  }
}

/** Numbers with thousands separators: 10000 -> "10,000". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "1–50 of 10,000"; "0 of 0" for an empty page. */
export function formatPageRange(offset: number, shown: number, total: number): string {
  if (total <= 0 || shown <= 0) {
    return `0 of ${formatCount(Math.max(0, total))}`;
  }
  const first = offset + 1;
  const last = offset + shown;
  return `${formatCount(first)}–${formatCount(last)} of ${formatCount(Math.max(total, last))}`;
}

/** What to call a job: its name, else its id. */
export function jobLabel(job: Pick<IJob, 'id' | 'name'>): string {
  return job.name && job.name.trim() ? job.name : job.id;
}

/** "bell (3f2a9c1b7d4e)" or "3f2a9c1b7d4e". */
export function jobTitle(job: Pick<IJob, 'id' | 'name'>): string {
  return job.name && job.name.trim() ? `${job.name} (${job.id})` : job.id;
}

/** A percentage with one decimal: 0.51 -> "51.0%". */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) {
    return '—';
  }
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Gate counts, most used first: "cx 12, h 4, measure 2". */
export function formatGateCounts(counts: Record<string, number> | null | undefined): string {
  if (!counts) {
    return '—';
  }
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!entries.length) {
    return '—';
  }
  return entries.map(([gate, n]) => `${gate} ${formatCount(n)}`).join(', ');
}

/** "Estimator", "Sampler" (and any other kind capitalized). */
export function primitiveLabel(primitive: string): string {
  return primitive ? primitive.charAt(0).toUpperCase() + primitive.slice(1).toLowerCase() : 'Primitive';
}

/** How many PUBs a primitive job has (its `num_circuits`, which counts them). */
export function pubCount(job: Pick<IJob, 'num_circuits' | 'summary' | 'pubs'>): number {
  return job.num_circuits || job.summary?.pubs?.length || job.pubs?.length || 0;
}

/** "Estimator · 3 PUBs" or "Sampler · 1 PUB" for a primitive job; null for a plain one. */
export function jobKind(job: Pick<IJob, 'primitive' | 'num_circuits' | 'summary' | 'pubs'>): string | null {
  if (!job.primitive) {
    return null;
  }
  const n = pubCount(job);
  return `${primitiveLabel(job.primitive)} · ${formatCount(n)} PUB${n === 1 ? '' : 's'}`;
}

/**
 * A measured value for charts and tables: four decimals ("0.9958", "-12.3457"),
 * exponent notation for very small or large magnitudes ("1.23e-5"), "0", and "—"
 * for a missing value.
 */
export function formatValue(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) {
    return '—';
  }
  if (x === 0) {
    return '0';
  }
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) {
    return x.toExponential(2).replace('e+', 'e');
  }
  return x.toFixed(4);
}

/** A PUB shape: "scalar", "5", "2×3". */
export function formatShape(shape: readonly number[]): string {
  return shape.length ? shape.join('×') : 'scalar';
}

export const SESSION_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">' +
  '<path d="M8 2.2 14 5.2 8 8.2 2 5.2Z" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linejoin="round"/>' +
  '<path d="M2 8.2l6 3 6-3M2 11.2l6 3 6-3" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linejoin="round" stroke-linecap="round"/>' +
  '</svg>';

/** The session icon (a stack of layers, drawn with currentColor). */
export function sessionIcon(doc: Document = document): HTMLSpanElement {
  const icon = doc.createElement('span');
  icon.className = 'qnb-SessionIcon';
  icon.innerHTML = SESSION_SVG;
  return icon;
}

/**
 * A tag as a chip, `.qnb-Chip.qnb-TagChip[data-tag]`. Clickable (the default), it is a
 * button that filters the list by its tag (whoever listens to its clicks does that);
 * else a plain span.
 */
export function renderTagChip(tag: string, doc: Document = document, clickable = true): HTMLElement {
  const chip = doc.createElement(clickable ? 'button' : 'span');
  chip.className = 'qnb-Chip qnb-TagChip';
  chip.dataset.tag = tag;
  chip.textContent = tag;
  if (clickable) {
    (chip as HTMLButtonElement).type = 'button';
    chip.title = `Tag ${tag}: show only the jobs with this tag`;
    chip.setAttribute('aria-label', `Show only the jobs tagged ${tag}`);
  } else {
    chip.title = `Tag ${tag}`;
  }
  return chip;
}
