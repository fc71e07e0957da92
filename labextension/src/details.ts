// The details view of one job: fields, error, counts histogram, actions.
// Plain DOM with injected callbacks, so it renders (and is tested) without JupyterLab.
import type { IJob } from './api';
import { isActive } from './api';
import {
  formatCount,
  formatGateCounts,
  formatRelativeTime,
  formatTimestamp,
  jobLabel,
  jobTiming,
  renderStatusBadge
} from './format';
import { renderHistogram, renderTopCounts } from './histogram';

export interface IJobDetailsHandlers {
  onBack: () => void;
  onCancel: (id: string) => void | Promise<void>;
  onCopyId: (id: string) => void | Promise<void>;
  onOpenInNotebook: (id: string) => void | Promise<void>;
}

/** Whether the Cancel button should be enabled for this job. */
export function canCancel(job: Pick<IJob, 'status' | 'cancel_requested'> | null): boolean {
  return !!job && isActive(job.status) && !job.cancel_requested;
}

function h<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className = '',
  text?: string
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
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
 * `div.qnb-JobDetails` for one job. `update(job)` redraws only when the job
 * changed; `tick()` refreshes the running clocks.
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
    }
    this._key = key;
    this._job = job;
    this._render(job, now);
  }

  /** Show "not found" or another message instead of a job. */
  showMessage(id: string, message: string): void {
    this._key = null;
    this._job = null;
    const doc = this._doc;
    this.node.dataset.jobId = id;
    this.node.dataset.status = '';
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
    const cancel = this.node.querySelector<HTMLButtonElement>('.qnb-CancelButton');
    if (cancel) {
      cancel.disabled = busy || !canCancel(this._job);
      cancel.textContent = busy ? 'Cancelling…' : 'Cancel';
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

    // header: back, title, status
    const header = h(doc, 'div', 'qnb-DetailsHeader');
    const back = button(doc, 'qnb-BackButton', '← All jobs', 'Back to the jobs table');
    back.addEventListener('click', () => this._handlers.onBack());
    const title = h(doc, 'h3', 'qnb-DetailsTitle', jobLabel(job));
    title.title = job.id;
    header.append(back, title, renderStatusBadge(job.status, doc));

    // actions
    const actions = h(doc, 'div', 'qnb-DetailsActions');
    const cancel = button(doc, 'qnb-CancelButton', 'Cancel', 'Cancel this job');
    cancel.disabled = !canCancel(job);
    if (job.cancel_requested && isActive(job.status)) {
      cancel.textContent = 'Cancelling…';
      cancel.title = 'A cancel was requested; waiting for the backend';
    }
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
    add('Backend', job.provider && job.provider !== job.backend ? `${job.backend} (${job.provider})` : job.backend);
    const status = h(doc, 'span', 'qnb-StatusField');
    status.appendChild(renderStatusBadge(job.status, doc));
    if (job.cancel_requested && isActive(job.status)) {
      status.appendChild(h(doc, 'span', 'qnb-Note', ' cancel requested'));
    }
    add('Status', status);
    add('Provider status', job.provider_status);
    if (job.queue_position !== null && job.queue_position !== undefined) {
      add('Queue position', formatCount(job.queue_position));
    }
    if (job.estimated_start) {
      add('Estimated start', formatTimestamp(job.estimated_start));
    }
    add('Shots', formatCount(job.shots));
    if (job.seed !== null && job.seed !== undefined) {
      add('Seed', String(job.seed));
    }
    add('Circuits', formatCount(job.num_circuits));
    if (job.summary) {
      add('Qubits', formatCount(job.summary.num_qubits));
      add('Depth', formatCount(job.summary.depth));
      add('Gates', formatGateCounts(job.summary.gate_counts), 'qnb-GateCounts');
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
      parts.push(this._renderCounts(job));
    }
    node.replaceChildren(...parts);
  }

  private _renderCounts(job: IJob): HTMLElement {
    const doc = this._doc;
    const section = h(doc, 'section', 'qnb-Counts');
    const heading = h(doc, 'div', 'qnb-CountsHeader');
    heading.appendChild(h(doc, 'h4', '', 'Counts'));
    section.appendChild(heading);
    const counts = job.counts ?? [];
    if (!counts.length) {
      section.appendChild(h(doc, 'p', 'qnb-DetailsMessage', 'No counts were recorded for this job.'));
      return section;
    }
    const index = Math.min(this._circuit, counts.length - 1);
    if (counts.length > 1) {
      const wrapper = h(doc, 'div', 'jp-select-wrapper qnb-CircuitSelect');
      const select = h(doc, 'select', 'jp-mod-styled');
      select.title = 'Circuit';
      counts.forEach((_, i) => {
        const option = h(doc, 'option', '', `Circuit ${i + 1} of ${counts.length}`);
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

  private _circuit = 0;
  private _doc: Document;
  private _handlers: IJobDetailsHandlers;
  private _job: IJob | null = null;
  private _key: string | null = null;
}
