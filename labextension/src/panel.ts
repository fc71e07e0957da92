// The "Quantum Jobs" sidebar: filters, a server-side paged table, and the
// details view of one job, refreshed by a Lumino Poll while visible.
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import {
  cancelJob,
  getJob,
  IBackend,
  IJob,
  IListJobsOptions,
  isTerminal,
  JOB_STATUSES,
  JobStatus,
  listBackends,
  listJobs
} from './api';
import { canCancel, JobDetails } from './details';
import { formatPageRange, statusInfo } from './format';
import { qnbIcon } from './icons';
import { QnbAPIError } from './request';
import { COLUMNS, reconcileRows } from './table';

export const PANEL_ID = 'qnb-jobs-panel';

export interface IJobsPanelOptions {
  /** Server connection settings (the app's serviceManager.serverSettings). */
  settings?: ServerConnection.ISettings;
  /** Rows per page (default 50). */
  pageSize?: number;
  /** Refresh interval while visible, in ms (default 500). */
  interval?: number;
  /** Copy text to the clipboard. */
  copy: (text: string) => void;
  /** "Open in notebook": insert `%qresult <id>` (or copy it). */
  openInNotebook: (id: string) => void | Promise<void>;
  /** Told after a cancel request was accepted. */
  onCancelled?: (id: string) => void;
}

export class JobsPanel extends Widget {
  constructor(options: IJobsPanelOptions) {
    super();
    this._options = options;
    this._settings = options.settings;
    this._pageSize = options.pageSize ?? 50;
    this.id = PANEL_ID;
    this.addClass('qnb-JobsPanel');
    this.title.icon = qnbIcon;
    this.title.caption = 'Quantum Jobs';

    this._details = new JobDetails({
      onBack: () => this.showList(),
      onCancel: id => this.cancelJob(id),
      onCopyId: id => this._options.copy(id),
      onOpenInNotebook: id => this._options.openInNotebook(id)
    });
    this._buildDom();

    this._poll = new Poll({
      name: 'qnb:jobs-panel',
      factory: () => this._tick(),
      frequency: { interval: options.interval ?? 500, backoff: true, max: 15 * 1000 },
      standby: () => (this.isVisible ? 'when-hidden' : true)
    });
    void this._loadBackends();
  }

  /** Emitted when the shown job, its status, or the view changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The id of the job in the details view, or null on the table. */
  get currentJobId(): string | null {
    return this._detailsId;
  }

  /** The job in the details view once loaded. */
  get currentJob(): IJob | null {
    return this._details.job;
  }

  /** Whether the job in the details view can be cancelled. */
  get canCancelCurrent(): boolean {
    return canCancel(this._details.job);
  }

  get filters(): { status: JobStatus | null; backend: string | null } {
    return { status: this._status, backend: this._backend };
  }

  /** Filter the table (and go back to its first page). */
  setFilters(filters: { status?: JobStatus | null; backend?: string | null }): void {
    if (filters.status !== undefined) {
      this._status = filters.status;
      this._statusSelect.value = filters.status ?? '';
    }
    if (filters.backend !== undefined) {
      this._backend = filters.backend;
      this._ensureBackendOption(filters.backend);
      this._backendSelect.value = filters.backend ?? '';
    }
    this._offset = 0;
    void this.refresh();
  }

  /** Fetch now (the table, or the job shown), and reload the backends list. */
  async refresh(): Promise<void> {
    this._forceDetails = true;
    void this._loadBackends();
    await this._poll.refresh();
  }

  /** Open the details view of a job. */
  async showJob(id: string): Promise<void> {
    if (this._detailsId !== id) {
      this._detailsId = id;
      this._details.node.replaceChildren();
      this._details.node.dataset.jobId = id;
      this._details.node.dataset.status = '';
      this._details.node.classList.add('qnb-mod-loading');
    }
    this._setView('details');
    this._forceDetails = true;
    this._stateChanged.emit();
    await this._poll.refresh();
  }

  /** Back to the table. */
  showList(): void {
    const last = this._detailsId;
    this._detailsId = null;
    this._setView('list');
    this._stateChanged.emit();
    for (const row of Array.from(this._tbody.rows)) {
      row.classList.toggle('jp-mod-selected', row.dataset.jobId === last);
    }
    void this._poll.refresh();
  }

  /** Ask the server to cancel a job, then refresh. Errors are shown as notifications. */
  async cancelJob(id: string): Promise<void> {
    const showing = this._detailsId === id;
    if (showing) {
      this._details.setCancelling(true);
    }
    try {
      await cancelJob(id, this._settings);
      this._options.onCancelled?.(id);
    } catch (error) {
      Notification.error(`Could not cancel job ${id}: ${(error as Error).message}`, { autoClose: 8000 });
    } finally {
      if (showing) {
        this._details.setCancelling(false);
      }
    }
    this._forceDetails = true;
    await this._poll.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._poll.refresh();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      void this._poll.refresh();
    }
  }

  // ---- DOM -----------------------------------------------------------------

  private _buildDom(): void {
    const doc = document;
    const node = this.node;

    const header = doc.createElement('header');
    header.className = 'qnb-PanelHeader';
    const title = doc.createElement('h2');
    title.textContent = 'Quantum Jobs';
    header.appendChild(title);

    // toolbar: status filter, backend filter, refresh
    const toolbar = doc.createElement('div');
    toolbar.className = 'qnb-Toolbar';
    this._statusSelect = doc.createElement('select');
    this._statusSelect.className = 'jp-mod-styled qnb-StatusFilter';
    this._statusSelect.title = 'Show jobs with this status';
    this._statusSelect.setAttribute('aria-label', 'Status filter');
    this._statusSelect.appendChild(new Option('All statuses', ''));
    for (const status of JOB_STATUSES) {
      this._statusSelect.appendChild(new Option(statusInfo(status).label, status));
    }
    this._statusSelect.addEventListener('change', () => {
      this.setFilters({ status: (this._statusSelect.value || null) as JobStatus | null });
    });

    this._backendSelect = doc.createElement('select');
    this._backendSelect.className = 'jp-mod-styled qnb-BackendFilter';
    this._backendSelect.title = 'Show jobs on this backend';
    this._backendSelect.setAttribute('aria-label', 'Backend filter');
    this._backendSelect.appendChild(new Option('All backends', ''));
    this._backendSelect.addEventListener('change', () => {
      this.setFilters({ backend: this._backendSelect.value || null });
    });

    const wrap = (select: HTMLSelectElement): HTMLElement => {
      const wrapper = doc.createElement('div');
      wrapper.className = 'jp-select-wrapper qnb-SelectWrapper';
      wrapper.appendChild(select);
      return wrapper;
    };

    const refresh = doc.createElement('button');
    refresh.type = 'button';
    refresh.className = 'qnb-IconButton qnb-RefreshButton';
    refresh.title = 'Refresh';
    refresh.setAttribute('aria-label', 'Refresh');
    refresh.appendChild(refreshIcon.element({ tag: 'span', className: 'qnb-ButtonIcon' }));
    refresh.addEventListener('click', () => void this.refresh());
    toolbar.append(wrap(this._statusSelect), wrap(this._backendSelect), refresh);

    // error banner
    this._banner = doc.createElement('div');
    this._banner.className = 'qnb-Banner';
    this._banner.setAttribute('role', 'alert');
    this._banner.hidden = true;

    // list view
    this._listView = doc.createElement('div');
    this._listView.className = 'qnb-ListView';
    const scroller = doc.createElement('div');
    scroller.className = 'qnb-TableScroller';
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
    this._tbody = table.createTBody();
    this._tbody.addEventListener('click', event => {
      const row = (event.target as HTMLElement).closest<HTMLTableRowElement>('tr.qnb-JobRow');
      if (row?.dataset.jobId) {
        void this.showJob(row.dataset.jobId);
      }
    });
    this._tbody.addEventListener('keydown', event => {
      if (event.key !== 'Enter' && event.key !== ' ') {
        return;
      }
      const row = (event.target as HTMLElement).closest<HTMLTableRowElement>('tr.qnb-JobRow');
      if (row?.dataset.jobId) {
        event.preventDefault();
        void this.showJob(row.dataset.jobId);
      }
    });
    this._empty = doc.createElement('div');
    this._empty.className = 'qnb-Empty';
    this._empty.hidden = true;
    scroller.append(table, this._empty);

    const pager = doc.createElement('div');
    pager.className = 'qnb-Pager';
    this._prev = doc.createElement('button');
    this._prev.type = 'button';
    this._prev.className = 'qnb-IconButton qnb-PrevPage';
    this._prev.title = 'Previous page';
    this._prev.textContent = '‹';
    this._prev.addEventListener('click', () => this._goto(this._offset - this._pageSize));
    this._next = doc.createElement('button');
    this._next.type = 'button';
    this._next.className = 'qnb-IconButton qnb-NextPage';
    this._next.title = 'Next page';
    this._next.textContent = '›';
    this._next.addEventListener('click', () => this._goto(this._offset + this._pageSize));
    this._range = doc.createElement('span');
    this._range.className = 'qnb-PageRange';
    this._range.textContent = 'Loading…';
    pager.append(this._range, this._prev, this._next);
    this._prev.disabled = true;
    this._next.disabled = true;

    this._listView.append(scroller, pager);

    // details view
    this._detailsView = doc.createElement('div');
    this._detailsView.className = 'qnb-DetailsView';
    this._detailsView.hidden = true;
    this._detailsView.appendChild(this._details.node);

    node.append(header, toolbar, this._banner, this._listView, this._detailsView);
  }

  private _setView(view: 'list' | 'details'): void {
    this._listView.hidden = view !== 'list';
    this._detailsView.hidden = view !== 'details';
    this.toggleClass('qnb-mod-details', view === 'details');
  }

  private _goto(offset: number): void {
    const next = Math.max(0, offset);
    if (next === this._offset) {
      return;
    }
    this._offset = next;
    this._prev.disabled = true;
    this._next.disabled = true;
    void this._poll.refresh();
  }

  private _ensureBackendOption(name: string | null): void {
    if (!name) {
      return;
    }
    const exists = Array.from(this._backendSelect.options).some(o => o.value === name);
    if (!exists) {
      this._backendSelect.appendChild(new Option(name, name));
    }
  }

  private async _loadBackends(): Promise<void> {
    let backends: IBackend[];
    try {
      backends = (await listBackends(this._settings)).backends;
    } catch (error) {
      // The table poll reports API errors; keep what we have.
      return;
    }
    const select = this._backendSelect;
    const current = this._backend;
    const names = backends.map(b => b.name);
    if (current && !names.includes(current)) {
      names.push(current);
    }
    const existing = Array.from(select.options)
      .slice(1)
      .map(o => o.value);
    if (existing.join('\n') === names.join('\n')) {
      return;
    }
    select.replaceChildren(new Option('All backends', ''));
    for (const name of names) {
      const backend = backends.find(b => b.name === name);
      const option = new Option(name, name);
      if (backend) {
        const bits = [backend.provider, backend.simulator ? 'simulator' : 'hardware'];
        if (backend.num_qubits) {
          bits.push(`${backend.num_qubits} qubits`);
        }
        if (backend.reachable === false) {
          bits.push('unreachable');
        }
        option.title = bits.join(', ');
      }
      select.appendChild(option);
    }
    select.value = current ?? '';
  }

  private _setError(error: unknown): void {
    if (!error) {
      this._banner.hidden = true;
      this._banner.textContent = '';
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    const status = error instanceof QnbAPIError && error.status ? ` (HTTP ${error.status})` : '';
    const what = this._detailsId ? `job ${this._detailsId}` : 'jobs';
    this._banner.textContent = `Could not load ${what}${status}: ${message}`;
    this._banner.hidden = false;
  }

  // ---- polling -------------------------------------------------------------

  private async _tick(): Promise<void> {
    const seq = ++this._seq;
    const now = (): number => Date.now();
    try {
      if (this._detailsId !== null) {
        const id = this._detailsId;
        const shown = this._details.job;
        if (!this._forceDetails && shown && shown.id === id && isTerminal(shown.status)) {
          this._details.tick(now());
          return;
        }
        this._forceDetails = false;
        let job: IJob;
        try {
          job = await getJob(id, this._settings);
        } catch (error) {
          if (error instanceof QnbAPIError && error.status === 404) {
            if (seq === this._seq && this._detailsId === id) {
              this._details.node.classList.remove('qnb-mod-loading');
              this._details.showMessage(id, `Job ${id} was not found.`);
              this._setError(null);
            }
            return;
          }
          throw error;
        }
        if (seq !== this._seq || this._detailsId !== id) {
          return;
        }
        const before = this._details.job?.status;
        this._details.node.classList.remove('qnb-mod-loading');
        this._details.update(job, now());
        if (before !== job.status) {
          this._stateChanged.emit();
        }
      } else {
        const query: IListJobsOptions = {
          status: this._status,
          backend: this._backend,
          limit: this._pageSize,
          offset: this._offset
        };
        const list = await listJobs(query, this._settings);
        if (seq !== this._seq) {
          return;
        }
        if (list.jobs.length === 0 && list.total > 0 && this._offset >= list.total) {
          // The page we were on is gone (jobs deleted or filter shrank): go to the last one.
          this._offset = Math.max(0, Math.floor((list.total - 1) / this._pageSize) * this._pageSize);
          this._forceDetails = true;
          void this._poll.refresh();
          return;
        }
        this._renderList(list.jobs, list.total, now());
      }
      this._setError(null);
    } catch (error) {
      if (seq === this._seq) {
        this._setError(error);
      }
      throw error;
    }
  }

  private _renderList(jobs: IJob[], total: number, now: number): void {
    reconcileRows(this._tbody, this._rows, jobs, now);
    this._range.textContent = formatPageRange(this._offset, jobs.length, total);
    this._prev.disabled = this._offset <= 0;
    this._next.disabled = this._offset + jobs.length >= total;
    if (jobs.length === 0) {
      const filtered = this._status || this._backend;
      this._empty.textContent = filtered
        ? 'No jobs match these filters.'
        : 'No quantum jobs yet. Submit one with %%qsubmit in a notebook.';
      this._empty.hidden = false;
    } else {
      this._empty.hidden = true;
    }
  }

  private _backend: string | null = null;
  private _backendSelect!: HTMLSelectElement;
  private _banner!: HTMLDivElement;
  private _details: JobDetails;
  private _detailsId: string | null = null;
  private _detailsView!: HTMLDivElement;
  private _empty!: HTMLDivElement;
  private _forceDetails = false;
  private _listView!: HTMLDivElement;
  private _next!: HTMLButtonElement;
  private _offset = 0;
  private _options: IJobsPanelOptions;
  private _pageSize: number;
  private _poll: Poll;
  private _prev!: HTMLButtonElement;
  private _range!: HTMLSpanElement;
  private _rows = new Map<string, HTMLTableRowElement>();
  private _seq = 0;
  private _settings: ServerConnection.ISettings | undefined;
  private _stateChanged = new Signal<this, void>(this);
  private _status: JobStatus | null = null;
  private _statusSelect!: HTMLSelectElement;
  private _tbody!: HTMLTableSectionElement;
}
