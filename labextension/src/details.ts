// The details view of one job: fields, error, counts histogram (or a primitive
// job's results per PUB, or a resource estimate's figures), actions.
// Plain DOM with injected callbacks, so it renders (and is tested) without JupyterLab.
import type { IJob, PubResult } from './job';
import { canCancel, describeProgress, isActive, isEstimate, isEstimatorPub, isSamplerPub } from './job';
import {
  formatCount,
  formatGateCounts,
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
import { renderHistogram, renderTopCounts } from './histogram';
import { renderEstimatorPub, renderSamplerPub } from './pubs';
import { renderEstimates } from './estimates';
import { h } from './dom';

/** PUBs drawn in the details view; more are left to `%qresult`. */
export const MAX_PUBS_SHOWN = 20;

export interface IJobDetailsHandlers {
  onBack: () => void;
  onCancel: (id: string) => void | Promise<void>;
  onCopyId: (id: string) => void | Promise<void>;
  onOpenInNotebook: (id: string) => void | Promise<void>;
  /** Show only the jobs of this session (a click on the session chip). */
  onFilterSession?: (session: string) => void;
  /** Show only the jobs with this tag (a click on one of the job's tag chips). */
  onFilterTag?: (tag: string) => void;
}


function button(doc: Document, className: string, label: string, title: string): HTMLButtonElement {
  const b = h(doc, 'button', `jp-mod-styled qnb-Button ${className}`, label);
  b.type = 'button';
  b.title = title;
  return b;
}

const COPY_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="13" height="13" aria-hidden="true">' +
  '<rect x="5.5" y="5.5" width="8" height="9" rx="1.2" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
  '<path d="M10.5 3.5v-.8c0-.7-.5-1.2-1.2-1.2H3.7c-.7 0-1.2.5-1.2 1.2v7.6c0 .7.5 1.2 1.2 1.2h.8" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
  '</svg>';

/**
 * The line under the details title for a primitive job or a job of a session:
 * `div.qnb-DetailsMeta` with `.qnb-KindChip` ("Estimator · 3 PUBs") and
 * `.qnb-SessionChip` ("session 0123456789ab"); null for a plain job of no session.
 * With `onFilterSession`, the session chip is a button that calls it with the session.
 */
export function renderJobMeta(
  job: IJob,
  doc: Document = document,
  onFilterSession?: (session: string) => void
): HTMLDivElement | null {
  const kind = jobKind(job);
  if (!kind && !job.session) {
    return null;
  }
  const meta = h(doc, 'div', 'qnb-DetailsMeta');
  if (kind) {
    const chip = h(doc, 'span', 'qnb-Chip qnb-KindChip', kind);
    chip.dataset.primitive = job.primitive!;
    chip.title = `A job of Qiskit ${primitiveLabel(job.primitive!)} PUBs`;
    meta.appendChild(chip);
  }
  if (job.session) {
    const session = job.session;
    let chip: HTMLElement;
    if (onFilterSession) {
      const b = h(doc, 'button', 'qnb-Chip qnb-SessionChip');
      b.type = 'button';
      b.title = `Submitted in qnb session ${session}: show only its jobs`;
      b.setAttribute('aria-label', `Show only the jobs of session ${session}`);
      b.addEventListener('click', event => {
        event.stopPropagation();
        onFilterSession(session);
      });
      chip = b;
    } else {
      chip = h(doc, 'span', 'qnb-Chip qnb-SessionChip');
      chip.title = `Submitted in qnb session ${session}`;
    }
    chip.dataset.session = session;
    chip.append(sessionIcon(doc), h(doc, 'span', '', 'session '), h(doc, 'code', 'qnb-SessionId', session));
    meta.appendChild(chip);
  }
  return meta;
}

/**
 * The job's tags, `span.qnb-TagList` of `.qnb-TagChip[data-tag]` chips; null when it
 * has none. With `onFilterTag`, each chip is a button that calls it with its tag.
 */
export function renderTagList(
  tags: readonly string[],
  doc: Document = document,
  onFilterTag?: (tag: string) => void
): HTMLSpanElement | null {
  if (!tags.length) {
    return null;
  }
  const list = h(doc, 'span', 'qnb-TagList');
  for (const tag of tags) {
    const chip = renderTagChip(tag, doc, !!onFilterTag);
    if (onFilterTag) {
      chip.addEventListener('click', event => {
        event.stopPropagation();
        onFilterTag(tag);
      });
    }
    list.appendChild(chip);
  }
  return list;
}

/**
 * `div.qnb-JobDetails[data-job-id][data-status]` for one job. `update(job)`
 * redraws only when the job changed; `tick()` refreshes the running clocks.
 */
export class JobDetails {
  constructor(handlers: IJobDetailsHandlers, doc: Document = document) {
    this._handlers = handlers;
    this._doc = doc;
    this.node = h(doc, 'div', 'qnb-JobDetails');
  }

  readonly node: HTMLDivElement;

  get job(): IJob | null {
    return this._job;
  }

  /** Show a job; a no-op when nothing changed but the clock. */
  update(job: IJob, now: number = Date.now()): void {
    const key = JSON.stringify(job);
    if (key === this._key) {
      this.tick(now);
      return;
    }
    if (!this._job || this._job.id !== job.id) {
      this._circuit = 0;
      this._points.clear();
    }
    this._key = key;
    this._job = job;
    this._render(job, now);
  }

  /** Show "Loading…" for a job not fetched yet (a no-op while it is). */
  showLoading(id: string): void {
    if (this.node.dataset.jobId === id && this.node.classList.contains('qnb-mod-loading')) {
      return;
    }
    this._key = null;
    this._job = null;
    this.node.dataset.jobId = id;
    this.node.dataset.status = '';
    this.node.classList.add('qnb-mod-loading');
    this.node.replaceChildren();
  }

  /** Show "not found" or another message instead of a job. */
  showMessage(id: string, message: string): void {
    const key = JSON.stringify([id, message]);
    if (key === this._key) {
      return;
    }
    this._key = key;
    this._job = null;
    const doc = this._doc;
    this.node.dataset.jobId = id;
    this.node.dataset.status = '';
    this.node.classList.remove('qnb-mod-loading');
    const back = button(doc, 'qnb-BackButton', '← All jobs', 'Back to the jobs table');
    back.addEventListener('click', () => this._handlers.onBack());
    const text = h(doc, 'p', 'qnb-DetailsMessage', message);
    this.node.replaceChildren(back, text);
  }

  /** Refresh the fields that depend on the current time. */
  tick(now: number = Date.now()): void {
    if (!this._job) {
      return;
    }
    const timing = jobTiming(this._job, now);
    for (const node of Array.from(this.node.querySelectorAll<HTMLElement>('[data-qnb-clock]'))) {
      const kind = node.dataset.qnbClock;
      const text = kind === 'timing' ? timing.text : formatRelativeTime(this._job.created_at, now);
      if (node.textContent !== text) {
        node.textContent = text;
      }
    }
  }

  /** Disable the cancel button while a cancel request is in flight. */
  setCancelling(busy: boolean): void {
    if (busy === this._cancelling) {
      return;
    }
    this._cancelling = busy;
    const cancel = this.node.querySelector<HTMLButtonElement>('.qnb-CancelButton');
    if (cancel && this._job) {
      this._renderCancel(cancel, this._job);
    }
  }

  /** Briefly acknowledge a copy on the button that did it. */
  flashCopied(target: HTMLElement | null): void {
    if (!target) {
      return;
    }
    target.classList.add('qnb-mod-copied');
    window.setTimeout(() => target.classList.remove('qnb-mod-copied'), 1200);
  }

  private _render(job: IJob, now: number): void {
    const doc = this._doc;
    const node = this.node;
    node.dataset.jobId = job.id;
    node.dataset.status = job.status;
    node.classList.remove('qnb-mod-loading');

    // header: back, title, status
    const header = h(doc, 'div', 'qnb-DetailsHeader');
    const back = button(doc, 'qnb-BackButton', '← All jobs', 'Back to the jobs table');
    back.addEventListener('click', () => this._handlers.onBack());
    const title = h(doc, 'h3', 'qnb-DetailsTitle', jobLabel(job));
    title.title = job.id;
    header.append(back, title, renderStatusBadge(job.status, doc));
    const meta = renderJobMeta(job, doc, this._handlers.onFilterSession);
    if (meta) {
      header.appendChild(meta);
    }

    // actions
    const actions = h(doc, 'div', 'qnb-DetailsActions');
    const cancel = button(doc, 'qnb-CancelButton', 'Cancel', 'Cancel this job');
    this._renderCancel(cancel, job);
    cancel.addEventListener('click', () => {
      if (!cancel.disabled) {
        void this._handlers.onCancel(job.id);
      }
    });
    const copy = button(doc, 'qnb-CopyIdButton', 'Copy id', 'Copy the job id to the clipboard');
    copy.addEventListener('click', () => {
      void this._handlers.onCopyId(job.id);
      this.flashCopied(copy);
    });
    const open = button(
      doc,
      'jp-mod-accept qnb-OpenInNotebookButton',
      'Open in notebook',
      `Insert "%qresult ${job.id}" into the active notebook (or copy it)`
    );
    open.addEventListener('click', () => void this._handlers.onOpenInNotebook(job.id));
    actions.append(cancel, copy, open);

    const parts: HTMLElement[] = [header, actions];

    if (job.error) {
      const error = h(doc, 'pre', 'qnb-JobError', job.error);
      parts.push(error);
    }

    // fields
    const fields = h(doc, 'dl', 'qnb-Fields');
    const add = (label: string, value: string | Node | null | undefined, className = ''): void => {
      if (value === null || value === undefined || value === '') {
        return;
      }
      const dt = h(doc, 'dt', '', label);
      const dd = h(doc, 'dd', className);
      if (typeof value === 'string') {
        dd.textContent = value;
      } else {
        dd.appendChild(value);
      }
      fields.append(dt, dd);
    };

    const idBox = h(doc, 'span', 'qnb-IdField');
    const code = h(doc, 'code', 'qnb-JobId', job.id);
    const copyIcon = h(doc, 'button', 'qnb-IconButton qnb-CopyButton');
    copyIcon.type = 'button';
    copyIcon.title = 'Copy id';
    copyIcon.setAttribute('aria-label', 'Copy id');
    copyIcon.innerHTML = COPY_SVG;
    copyIcon.addEventListener('click', () => {
      void this._handlers.onCopyId(job.id);
      this.flashCopied(copyIcon);
    });
    idBox.append(code, copyIcon);
    add('Id', idBox);
    add('Name', job.name ?? '—');
    add('Tags', renderTagList(job.tags ?? [], doc, this._handlers.onFilterTag), 'qnb-TagsField');
    add('Backend', job.provider && job.provider !== job.backend ? `${job.backend} (${job.provider})` : job.backend);
    const status = h(doc, 'span', 'qnb-StatusField');
    status.appendChild(renderStatusBadge(job.status, doc));
    if (job.cancel_requested && isActive(job.status)) {
      status.appendChild(h(doc, 'span', 'qnb-Note', ' cancel requested'));
    }
    add('Status', status);
    add('Provider status', job.provider_status);
    if (job.progress) {
      add('Progress', describeProgress(job.progress, formatCount));
    }
    if (job.estimated_end && job.status === 'RUNNING') {
      add('Estimated end', formatTimestamp(job.estimated_end));
    }
    if (job.queue_position !== null && job.queue_position !== undefined) {
      add('Queue position', formatCount(job.queue_position));
    }
    if (job.estimated_start) {
      add('Estimated start', formatTimestamp(job.estimated_start));
    }
    if (isEstimate(job)) {
      // an estimate runs no shots: the estimator counts resources per circuit
      add('Kind', 'Resource estimate');
    } else if (job.primitive) {
      // an Estimator job has no shots (its precision decides); its PUBs say what it ran
      add('Primitive', jobKind(job));
      if (job.shots > 0) {
        add('Shots', formatCount(job.shots));
      }
    } else {
      add('Shots', formatCount(job.shots));
    }
    if (job.seed !== null && job.seed !== undefined) {
      add('Seed', String(job.seed));
    }
    if (!job.primitive) {
      add('Circuits', formatCount(job.num_circuits));
    }
    const summary = job.summary;
    if (summary.num_qubits !== undefined) {
      add('Qubits', formatCount(summary.num_qubits));
    }
    if (summary.depth !== undefined) {
      add('Depth', formatCount(summary.depth));
    }
    if (summary.gate_counts) {
      add('Gates', formatGateCounts(summary.gate_counts), 'qnb-GateCounts');
    }
    const created = h(doc, 'span');
    created.append(formatTimestamp(job.created_at) + ' (');
    const rel = h(doc, 'span', '', formatRelativeTime(job.created_at, now));
    rel.dataset.qnbClock = 'created';
    created.append(rel, ')');
    add('Submitted', created);
    add('Started', job.started_at ? formatTimestamp(job.started_at) : null);
    add('Finished', job.finished_at ? formatTimestamp(job.finished_at) : null);
    const timing = jobTiming(job, now);
    if (timing.kind !== 'none') {
      const t = h(doc, 'span', '', timing.text);
      t.dataset.qnbClock = 'timing';
      add(timing.kind === 'wait' ? 'Waiting' : job.status === 'RUNNING' ? 'Running for' : 'Run time', t);
    }
    add('Origin', job.origin);
    add('Remote id', job.remote_id, 'qnb-RemoteId');
    parts.push(fields);

    // results
    if (job.status === 'DONE') {
      if (isEstimate(job)) {
        parts.push(renderEstimates(job.estimates ?? [], doc));
      } else {
        parts.push(job.primitive && job.pubs?.length ? this._renderPubs(job, job.pubs) : this._renderCounts(job));
      }
    }
    node.replaceChildren(...parts);
  }

  private _renderCancel(cancel: HTMLButtonElement, job: IJob): void {
    const requested = job.cancel_requested && isActive(job.status);
    cancel.disabled = this._cancelling || !canCancel(job);
    cancel.textContent = this._cancelling || requested ? 'Cancelling…' : 'Cancel';
    cancel.title = requested ? 'A cancel was requested; waiting for the backend' : 'Cancel this job';
  }

  /** A primitive job's results: one section per PUB (the first `MAX_PUBS_SHOWN`). */
  private _renderPubs(job: IJob, pubs: readonly PubResult[]): HTMLElement {
    const doc = this._doc;
    const estimator = job.primitive === 'estimator';
    const section = h(doc, 'section', 'qnb-Counts qnb-PubResults');
    section.dataset.primitive = job.primitive ?? '';
    const heading = h(doc, 'div', 'qnb-CountsHeader');
    heading.appendChild(h(doc, 'h4', '', estimator ? 'Expectation values' : 'Counts per parameter point'));
    section.appendChild(heading);
    pubs.slice(0, MAX_PUBS_SHOWN).forEach((pub, i) => {
      if (isEstimatorPub(pub)) {
        section.appendChild(renderEstimatorPub(pub, i, doc));
      } else if (isSamplerPub(pub)) {
        const onPoint = (point: number): void => void this._points.set(i, point);
        section.appendChild(renderSamplerPub(pub, i, this._points.get(i) ?? 0, onPoint, doc));
      }
    });
    if (pubs.length > MAX_PUBS_SHOWN) {
      const more = pubs.length - MAX_PUBS_SHOWN;
      const text = `${formatCount(more)} more PUB${more === 1 ? '' : 's'}: see %qresult ${job.id}.`;
      section.appendChild(h(doc, 'p', 'qnb-DetailsMessage', text));
    }
    return section;
  }

  private _renderCounts(job: IJob): HTMLElement {
    const doc = this._doc;
    const section = h(doc, 'section', 'qnb-Counts');
    const heading = h(doc, 'div', 'qnb-CountsHeader');
    heading.appendChild(h(doc, 'h4', '', 'Counts'));
    section.appendChild(heading);
    const counts = job.counts ?? [];
    if (!counts.length) {
      const what = job.primitive === 'estimator' ? 'expectation values' : 'counts';
      section.appendChild(h(doc, 'p', 'qnb-DetailsMessage', `No ${what} were recorded for this job.`));
      return section;
    }
    // a Sampler job's counts are one per PUB, all its points merged
    const unit = job.primitive ? 'PUB' : 'Circuit';
    const index = Math.min(this._circuit, counts.length - 1);
    if (counts.length > 1) {
      const wrapper = h(doc, 'div', 'jp-select-wrapper qnb-CircuitSelect');
      const select = h(doc, 'select', 'jp-mod-styled');
      select.title = unit;
      counts.forEach((_, i) => {
        const option = h(doc, 'option', '', `${unit} ${i + 1} of ${counts.length}`);
        option.value = String(i);
        select.appendChild(option);
      });
      select.value = String(index);
      select.addEventListener('change', () => {
        this._circuit = Number(select.value);
        const fresh = this._renderCounts(job);
        section.replaceWith(fresh);
      });
      wrapper.appendChild(select);
      heading.appendChild(wrapper);
    }
    const chart = h(doc, 'div', 'qnb-HistogramBox');
    chart.appendChild(renderHistogram(counts[index] ?? {}, doc));
    section.append(chart, renderTopCounts(counts[index] ?? {}, 8, doc));
    return section;
  }

  private _cancelling = false;
  private _circuit = 0;
  /** The parameter point shown per Sampler PUB. */
  private _points = new Map<number, number>();
  private _doc: Document;
  private _handlers: IJobDetailsHandlers;
  private _job: IJob | null = null;
  private _key: string | null = null;
}
