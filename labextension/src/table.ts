// The jobs table: rows keyed by job id and updated in place, so a tick every
// 500 ms does not rebuild the DOM (focus and hover survive).
import { compareBlocker, describeProgress, IJob, IJobProgress } from './job';
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
  { key: 'time', label: 'Time', title: 'Waiting time (queued), running time, or run time (finished)' },
  { key: 'owner', label: 'Owner', title: 'Who submitted the job (shown in the Team view; click: only their jobs)' }
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
  // the checkbox of "Compare" (shown in a table with `IRowChecks`), left of the name and tags
  const checkBox = doc.createElement('label');
  checkBox.className = 'qnb-CompareCheckBox';
  const check = doc.createElement('input');
  check.type = 'checkbox';
  check.className = 'qnb-CompareCheck';
  checkBox.appendChild(check);
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
  row.cells[0].append(checkBox, box, tags);
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
  const [name, backend, status, submitted, time, owner] = Array.from(row.cells) as HTMLElement[];

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

  const check = name.querySelector<HTMLInputElement>('input.qnb-CompareCheck')!;
  const blocker = compareBlocker(job);
  const checkTitle = blocker ?? `Select ${jobLabel(job)} to compare it with other jobs`;
  setAttr(check, 'aria-label', `Select ${jobLabel(job)} for comparison`);
  setAttr(check, 'title', checkTitle);
  setAttr(check.parentElement!, 'title', checkTitle);
  // not `disabled`: it stays focusable, and its tooltip says why it cannot be checked
  setAttr(check, 'aria-disabled', String(blocker !== null));

  setText(backend, job.backend);
  setAttr(backend, 'title', job.provider && job.provider !== job.backend ? `${job.backend} (${job.provider})` : job.backend);

  const badge = status.firstElementChild as HTMLElement | null;
  if (!badge || badge.dataset.status !== job.status) {
    status.replaceChildren(renderStatusBadge(job.status, doc));
  }
  updateProgressBar(status, job.status === 'RUNNING' ? job.progress ?? null : null, doc);

  setText(submitted, formatRelativeTime(job.created_at, now, true));
  setAttr(submitted, 'title', formatTimestamp(job.created_at));

  const timing = jobTiming(job, now);
  setText(time, timing.text);
  setAttr(time, 'title', timing.title);
  time.classList.toggle('qnb-mod-waiting', timing.kind === 'wait');

  const who = job.owner ?? '';
  if ((owner.dataset.owner ?? '') !== who || (who && !owner.firstElementChild)) {
    owner.dataset.owner = who;
    owner.replaceChildren(...(who ? [renderOwnerChip(who, doc)] : []));
  }
}

/** `button.qnb-OwnerChip[data-owner]`: who submitted the job; a click shows only their jobs. */
export function renderOwnerChip(owner: string, doc: Document = document): HTMLButtonElement {
  const chip = doc.createElement('button');
  chip.type = 'button';
  chip.className = 'qnb-OwnerChip';
  chip.dataset.owner = owner;
  chip.textContent = owner;
  chip.title = `Submitted by ${owner}: show only their jobs`;
  return chip;
}

/**
 * Show (or remove) a bar of `done` of `total` circuits under the status badge; its phase
 * ("transpiling", "simulating") in its text and as `data-phase` (the two look different).
 */
export function updateProgressBar(
  cell: HTMLElement,
  progress: IJobProgress | null,
  doc: Document = document
): void {
  let bar = cell.querySelector<HTMLProgressElement>('progress.qnb-RowProgress');
  if (!progress || progress.total <= 0) {
    bar?.remove();
    return;
  }
  if (!bar) {
    bar = doc.createElement('progress');
    bar.className = 'qnb-RowProgress';
    cell.appendChild(bar);
  }
  bar.max = progress.total;
  bar.value = progress.done;
  const text = describeProgress(progress);
  setAttr(bar, 'title', text);
  setAttr(bar, 'aria-label', text);
  if ((bar.dataset.phase ?? '') !== (progress.phase ?? '')) {
    if (progress.phase) {
      bar.dataset.phase = progress.phase;
    } else {
      delete bar.dataset.phase;
    }
  }
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

/** The checkboxes of the rows, which select jobs to compare. */
export interface IRowChecks {
  /** Whether the job is checked. */
  isChecked: (id: string) => boolean;
  /** Its checkbox was checked or unchecked (never called for a job that cannot be compared). */
  onCheck: (id: string, checked: boolean) => void;
}

/** The table of one page of jobs. */
export interface IJobTable {
  table: HTMLTableElement;
  tbody: HTMLTableSectionElement;
  /** The rows shown, by job id (kept up to date by `renderJobTable`). */
  rows: Map<string, HTMLTableRowElement>;
  /** The rows' checkboxes' state and handler; null: the checkboxes are not shown. */
  checks: IRowChecks | null;
}

/**
 * An empty `table.qnb-JobTable`. A click (or Enter, Space) on a row opens that job;
 * a click on a row's session marker only calls `onSession` with that session, and
 * one on a tag chip only calls `onTag` with that tag. With `checks`, each row has a
 * checkbox, `input.qnb-CompareCheck` (Space toggles it; `aria-disabled` and its tooltip
 * say why for a job that cannot be compared), that calls `checks.onCheck`.
 */
export function createJobTable(
  onOpen: (id: string) => void,
  onSession: ((session: string) => void) | null = null,
  onTag: ((tag: string) => void) | null = null,
  checks: IRowChecks | null = null,
  onOwner: ((owner: string) => void) | null = null,
  doc: Document = document
): IJobTable {
  const table = doc.createElement('table');
  table.className = 'qnb-JobTable';
  table.classList.toggle('qnb-mod-checkable', !!checks);
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
  const ownerOf = (event: Event): string | undefined =>
    (event.target as HTMLElement).closest<HTMLElement>('.qnb-OwnerChip')?.dataset.owner;
  const inCheckBox = (event: Event): boolean => !!(event.target as HTMLElement).closest('.qnb-CompareCheckBox');
  tbody.addEventListener('click', event => {
    if (inCheckBox(event)) {
      const target = event.target as HTMLElement;
      if (target.matches('input.qnb-CompareCheck') && target.getAttribute('aria-disabled') === 'true') {
        event.preventDefault(); // a job that cannot be compared stays unchecked
      }
      event.stopPropagation(); // the checkbox checks; it does not open the row
      return;
    }
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
    const owner = ownerOf(event);
    if (owner !== undefined) {
      event.stopPropagation(); // and an owner chip
      onOwner?.(owner);
      return;
    }
    const id = rowOf(event);
    if (id) {
      onOpen(id);
    }
  });
  tbody.addEventListener('change', event => {
    const target = event.target as HTMLInputElement;
    const id = rowOf(event);
    if (id && target.matches('input.qnb-CompareCheck') && target.getAttribute('aria-disabled') !== 'true') {
      checks?.onCheck(id, target.checked);
    }
  });
  tbody.addEventListener('keydown', event => {
    if (sessionOf(event) || tagOf(event) !== undefined || ownerOf(event) !== undefined || inCheckBox(event)) {
      return; // Enter or Space on the marker or chip button clicks it; Space toggles the checkbox
    }
    const id = rowOf(event);
    if (id && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      onOpen(id);
    }
  });
  return { table, tbody, rows: new Map(), checks };
}

/** Show `jobs` in the table, marking the row of `selected` (and the checked rows). */
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
    if (view.checks) {
      const checked = view.checks.isChecked(id);
      row.classList.toggle('qnb-mod-checked', checked);
      const check = row.querySelector<HTMLInputElement>('input.qnb-CompareCheck')!;
      if (check.checked !== checked) {
        check.checked = checked;
      }
    }
  }
}

/** What the list says when the page is empty. */
export function emptyMessage(filtered: boolean): string {
  return filtered ? 'No jobs match these filters.' : 'No quantum jobs yet. Submit one with %%qsubmit in a notebook.';
}
