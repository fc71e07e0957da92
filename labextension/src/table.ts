// The jobs table: rows keyed by job id and updated in place, so a tick every
// 500 ms does not rebuild the DOM (focus and hover survive).
import type { IJob } from './job';
import {
  formatRelativeTime,
  formatTimestamp,
  jobKind,
  jobLabel,
  jobTiming,
  primitiveLabel,
  renderStatusBadge,
  renderTagChip,
  sessionIcon
} from './format';

/** Tag chips shown in a row; more show as "+N" (all of them are in the details). */
export const MAX_ROW_TAGS = 3;

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

/**
 * The markers after a job's name: `.qnb-KindMarker[data-primitive]` for a primitive
 * job ("Estimator", or "E" in a narrow panel) and `button.qnb-SessionMarker[data-session]`
 * (an icon) for a job of a session. Plain jobs of no session have none.
 */
export function renderRowMarkers(job: IJob, doc: Document = document): HTMLElement[] {
  const markers: HTMLElement[] = [];
  const kind = jobKind(job);
  if (kind && job.primitive) {
    const marker = doc.createElement('span');
    marker.className = 'qnb-RowMarker qnb-KindMarker';
    marker.dataset.primitive = job.primitive;
    marker.title = kind;
    marker.setAttribute('aria-label', kind);
    const label = primitiveLabel(job.primitive);
    const long = doc.createElement('span');
    long.className = 'qnb-KindLong';
    long.textContent = label;
    const short = doc.createElement('span');
    short.className = 'qnb-KindShort';
    short.textContent = label.charAt(0);
    marker.append(long, short);
    markers.push(marker);
  }
  if (job.session) {
    // a button: a click shows only the jobs of this session (`createJobTable`'s `onSession`)
    const marker = doc.createElement('button');
    marker.type = 'button';
    marker.className = 'qnb-RowMarker qnb-SessionMarker';
    marker.dataset.session = job.session;
    marker.title = `Session ${job.session}: show only its jobs`;
    marker.setAttribute('aria-label', `Show only the jobs of session ${job.session}`);
    marker.appendChild(sessionIcon(doc));
    markers.push(marker);
  }
  return markers;
}

/**
 * A row's tags: `button.qnb-TagChip[data-tag]` chips (a click filters by that tag,
 * see `createJobTable`'s `onTag`), the first `MAX_ROW_TAGS` of them, then
 * `.qnb-MoreTags` "+N" with the others in its tooltip.
 */
export function renderRowTags(tags: readonly string[], doc: Document = document): HTMLElement[] {
  const chips = tags.slice(0, MAX_ROW_TAGS).map(tag => renderTagChip(tag, doc));
  const rest = tags.slice(MAX_ROW_TAGS);
  if (rest.length) {
    const more = doc.createElement('span');
    more.className = 'qnb-Chip qnb-MoreTags';
    more.textContent = `+${rest.length}`;
    more.title = rest.join(', ');
    more.setAttribute('aria-label', `${rest.length} more tag${rest.length === 1 ? '' : 's'}: ${rest.join(', ')}`);
    chips.push(more);
  }
  return chips;
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
  // the name shrinks (with an ellipsis) before its markers do
  const box = doc.createElement('div');
  box.className = 'qnb-NameBox';
  const name = doc.createElement('span');
  name.className = 'qnb-JobName';
  const markers = doc.createElement('span');
  markers.className = 'qnb-RowMarkers';
  box.append(name, markers);
  // the tags, on a line of their own under the name (none: the line is not shown)
  const tags = doc.createElement('div');
  tags.className = 'qnb-RowTags';
  row.cells[0].append(box, tags);
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

  setText(name.querySelector<HTMLElement>('.qnb-JobName')!, jobLabel(job));
  const kind = jobKind(job);
  const tooltip = [job.name ? `${job.name}\n${job.id}` : job.id];
  if (kind) {
    tooltip.push(kind);
  }
  if (job.session) {
    tooltip.push(`session ${job.session}`);
  }
  const tags = job.tags ?? [];
  if (tags.length) {
    tooltip.push(`tags: ${tags.join(', ')}`);
  }
  setAttr(name, 'title', tooltip.join('\n'));
  name.classList.toggle('qnb-mod-unnamed', !job.name);
  const markers = name.querySelector<HTMLElement>('.qnb-RowMarkers')!;
  const markerKey = `${kind ?? ''}|${job.session ?? ''}`;
  if (markers.dataset.key !== markerKey) {
    markers.dataset.key = markerKey;
    markers.replaceChildren(...renderRowMarkers(job, doc));
  }
  const tagBox = name.querySelector<HTMLElement>('.qnb-RowTags')!;
  const tagKey = JSON.stringify(tags);
  if (tagBox.dataset.key !== tagKey) {
    tagBox.dataset.key = tagKey;
    tagBox.replaceChildren(...renderRowTags(tags, doc));
  }

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

/** The table of one page of jobs. */
export interface IJobTable {
  table: HTMLTableElement;
  tbody: HTMLTableSectionElement;
  /** The rows shown, by job id (kept up to date by `renderJobTable`). */
  rows: Map<string, HTMLTableRowElement>;
}

/**
 * An empty `table.qnb-JobTable`. A click (or Enter, Space) on a row opens that job;
 * a click on a row's session marker only calls `onSession` with that session, and
 * one on a tag chip only calls `onTag` with that tag.
 */
export function createJobTable(
  onOpen: (id: string) => void,
  onSession: ((session: string) => void) | null = null,
  onTag: ((tag: string) => void) | null = null,
  doc: Document = document
): IJobTable {
  const table = doc.createElement('table');
  table.className = 'qnb-JobTable';
  const headRow = table.createTHead().insertRow();
  for (const column of COLUMNS) {
    const th = doc.createElement('th');
    th.className = `qnb-JobCell-${column.key}`;
    th.textContent = column.label;
    th.title = column.title;
    th.scope = 'col';
    headRow.appendChild(th);
  }
  const tbody = table.createTBody();
  const rowOf = (event: Event): string | undefined =>
    (event.target as HTMLElement).closest<HTMLTableRowElement>('tr.qnb-JobRow')?.dataset.jobId;
  const sessionOf = (event: Event): string | undefined =>
    (event.target as HTMLElement).closest<HTMLElement>('.qnb-SessionMarker')?.dataset.session;
  const tagOf = (event: Event): string | undefined =>
    (event.target as HTMLElement).closest<HTMLElement>('.qnb-TagChip')?.dataset.tag;
  tbody.addEventListener('click', event => {
    const session = sessionOf(event);
    if (session) {
      event.stopPropagation(); // the marker filters; it does not open the row
      onSession?.(session);
      return;
    }
    const tag = tagOf(event);
    if (tag !== undefined) {
      event.stopPropagation(); // so does a tag chip
      onTag?.(tag);
      return;
    }
    const id = rowOf(event);
    if (id) {
      onOpen(id);
    }
  });
  tbody.addEventListener('keydown', event => {
    if (sessionOf(event) || tagOf(event) !== undefined) {
      return; // Enter or Space on the marker or chip button clicks it
    }
    const id = rowOf(event);
    if (id && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      onOpen(id);
    }
  });
  return { table, tbody, rows: new Map() };
}

/** Show `jobs` in the table, marking the row of `selected`. */
export function renderJobTable(
  view: IJobTable,
  jobs: readonly IJob[],
  selected: string | null,
  now: number = Date.now(),
  doc: Document = document
): void {
  reconcileRows(view.tbody, view.rows, jobs, now, doc);
  for (const [id, row] of view.rows) {
    row.classList.toggle('jp-mod-selected', id === selected);
  }
}

/** What the list says when the page is empty. */
export function emptyMessage(filtered: boolean): string {
  return filtered ? 'No jobs match these filters.' : 'No quantum jobs yet. Submit one with %%qsubmit in a notebook.';
}
