// The jobs table body: rows keyed by job id and updated in place, so a poll
// every 500 ms does not rebuild the DOM (focus and hover survive).
import type { IJob } from './api';
import {
  formatRelativeTime,
  formatTimestamp,
  jobLabel,
  jobTiming,
  renderStatusBadge
} from './format';

export const COLUMNS: ReadonlyArray<{ key: string; label: string; title: string }> = [
  { key: 'name', label: 'Name', title: 'Job name, or its id when it has none' },
  { key: 'backend', label: 'Backend', title: 'Backend profile' },
  { key: 'status', label: 'Status', title: 'Job status' },
  { key: 'submitted', label: 'Submitted', title: 'When the job was submitted' },
  { key: 'time', label: 'Time', title: 'Waiting time (queued), running time, or run time (finished)' }
];

function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

function setAttr(node: HTMLElement, name: string, value: string): void {
  if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

/** A new `tr.qnb-JobRow` for the job. */
export function createJobRow(job: IJob, now: number = Date.now(), doc: Document = document): HTMLTableRowElement {
  const row = doc.createElement('tr');
  row.className = 'qnb-JobRow';
  row.tabIndex = 0;
  for (const column of COLUMNS) {
    const cell = doc.createElement('td');
    cell.className = `qnb-JobCell qnb-JobCell-${column.key}`;
    row.appendChild(cell);
  }
  updateJobRow(row, job, now, doc);
  return row;
}

/** Bring a row up to date with the job (only touching what changed). */
export function updateJobRow(
  row: HTMLTableRowElement,
  job: IJob,
  now: number = Date.now(),
  doc: Document = document
): void {
  setAttr(row, 'data-job-id', job.id);
  setAttr(row, 'data-status', job.status);
  row.classList.toggle('qnb-mod-cancel-requested', !!job.cancel_requested);
  const [name, backend, status, submitted, time] = Array.from(row.cells) as HTMLElement[];

  setText(name, jobLabel(job));
  setAttr(name, 'title', job.name ? `${job.name}\n${job.id}` : job.id);
  name.classList.toggle('qnb-mod-unnamed', !job.name);

  setText(backend, job.backend);
  setAttr(backend, 'title', job.provider && job.provider !== job.backend ? `${job.backend} (${job.provider})` : job.backend);

  const badge = status.firstElementChild as HTMLElement | null;
  if (!badge || badge.dataset.status !== job.status) {
    status.replaceChildren(renderStatusBadge(job.status, doc));
  }

  setText(submitted, formatRelativeTime(job.created_at, now, true));
  setAttr(submitted, 'title', formatTimestamp(job.created_at));

  const timing = jobTiming(job, now);
  setText(time, timing.text);
  setAttr(time, 'title', timing.title);
  time.classList.toggle('qnb-mod-waiting', timing.kind === 'wait');
}

/**
 * Make `tbody` show exactly `jobs`, in order, reusing the rows in `rows`
 * (a map from job id to row that this function keeps up to date).
 */
export function reconcileRows(
  tbody: HTMLTableSectionElement,
  rows: Map<string, HTMLTableRowElement>,
  jobs: readonly IJob[],
  now: number = Date.now(),
  doc: Document = document
): void {
  const wanted = new Set(jobs.map(j => j.id));
  for (const [id, row] of rows) {
    if (!wanted.has(id)) {
      row.remove();
      rows.delete(id);
    }
  }
  jobs.forEach((job, index) => {
    let row = rows.get(job.id);
    if (row) {
      updateJobRow(row, job, now, doc);
    } else {
      row = createJobRow(job, now, doc);
      rows.set(job.id, row);
    }
    const at = tbody.children[index] ?? null;
    if (at !== row) {
      tbody.insertBefore(row, at);
    }
  });
}
