// The state behind the Quantum Jobs sidebar: filters, the page of jobs shown,
// the job in the details view, and the one poll that refreshes them and
// reports the jobs that finish. Views read it and listen to `changed`.
import { ServerConnection } from '@jupyterlab/services';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  cancelJob,
  exportJobsCsv,
  getBudgets,
  getJob,
  getUsage,
  IBackend,
  IBudget,
  IJobList,
  IListJobsOptions,
  IUsageGroup,
  listBackends,
  listJobs
} from './api';
import { MAX_COMPARE } from './compare';
import { canCancel, compareBlocker, IJob, isTerminal, JobStatus } from './job';
import { QnbAPIError } from './request';
import { USAGE_SINCE } from './usage';
import { IJobNotice, JobWatcher } from './watcher';

/** Poll interval while the panel is visible, in ms. */
export const VISIBLE_INTERVAL = 500;
/** Poll interval while the panel is hidden (finish notices only), in ms. */
export const HIDDEN_INTERVAL = 2000;
/** The longest wait between two ticks when errors make the poll back off, in ms. */
export const MAX_BACKOFF = 30 * 1000;
/** Poll interval while the server pushes changes (a safety net), in ms. */
export const PUSHED_INTERVAL = 10 * 1000;
/** The most jobs the REST API returns at once (`limit`). */
export const MAX_PAGE_SIZE = 500;
/** At most one pushed refresh per this many ms (a burst of changes: a few refreshes). */
export const PUSH_MIN_GAP = 150;

export interface IJobFilters {
  status: JobStatus | null;
  backend: string | null;
  /** One tag: only the jobs that carry it. */
  tag: string | null;
  /** The search box: name, id prefix, tag or backend. */
  q: string | null;
  /** A qnb session id: only the jobs submitted in that session. */
  session: string | null;
  /** One user: only their jobs. */
  owner: string | null;
  /** "1": the Team view (every member of your groups); null: only your jobs. */
  team: string | null;
}

/** The keys of `IJobFilters`. */
export const FILTER_KEYS: readonly (keyof IJobFilters)[] = ['status', 'backend', 'tag', 'q', 'session', 'owner', 'team'];

/** The filters of the whole list. */
export const NO_FILTERS: Readonly<IJobFilters> = {
  status: null,
  backend: null,
  tag: null,
  q: null,
  session: null,
  owner: null,
  team: null
};

/** Whether any filter is set. */
export function isFiltered(filters: Partial<IJobFilters>): boolean {
  return FILTER_KEYS.some(key => !!filters[key]);
}

/** A page of jobs as the server answered it. */
export interface IJobPage {
  jobs: readonly IJob[];
  offset: number;
  limit: number;
  /** How many jobs match the filters. */
  total: number;
}

/** The offset of the last page of `total` jobs. */
export function lastPageOffset(total: number, limit: number): number {
  return Math.max(0, Math.floor((total - 1) / limit) * limit);
}

export namespace JobsModel {
  export interface IOptions {
    /** Server connection settings (default: the page's). */
    settings?: ServerConnection.ISettings;
    /** Jobs per page (default 50). */
    pageSize?: number;
    /** Poll interval while visible, in ms (default `VISIBLE_INTERVAL`). */
    interval?: number;
    /** Poll interval while hidden, in ms (default `HIDDEN_INTERVAL`). */
    hiddenInterval?: number;
  }
}

/**
 * Owns what the sidebar shows and THE poll of the qnb server.
 *
 * Each tick fetches what the visible panel shows (the page of jobs, or the job
 * in the details view), then lets the watcher look for jobs that finished and
 * emits them on `jobsFinished`. While the panel is hidden a tick only does the
 * latter, every `hiddenInterval`, so notifications keep coming; while the page
 * itself is hidden (a background tab) the poll stands by. Errors make it back
 * off, up to `MAX_BACKOFF`.
 */
export class JobsModel {
  constructor(options: JobsModel.IOptions = {}) {
    this._settings = options.settings;
    this._pageSize = options.pageSize ?? 50;
    this._interval = options.interval ?? VISIBLE_INTERVAL;
    this._hiddenInterval = options.hiddenInterval ?? HIDDEN_INTERVAL;
    this._watcher = new JobWatcher({
      listJobs: query => listJobs(query, this._settings),
      getJob: id => getJob(id, this._settings),
      recent: this._pageSize
    });
    this._poll = new Poll<void, unknown, 'standby'>({
      name: 'qnb:jobs',
      factory: () => this._tick(),
      frequency: this._frequency(),
      // while the page is hidden, ticks (finish notices) go on only for desktop notifications
      standby: () => (this._watchWhenHidden ? 'never' : 'when-hidden')
    });
  }

  /** Emitted after every tick and every change of filters, page, selection or visibility. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted with the jobs that finished since the last tick (never empty). */
  get jobsFinished(): ISignal<this, readonly IJobNotice[]> {
    return this._jobsFinished;
  }

  /** The poll (read only: its state, frequency and ticks). */
  get poll(): IPoll<void, unknown, 'standby'> {
    return this._poll;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Whether the panel is shown; set by the panel. */
  get visible(): boolean {
    return this._visible;
  }

  set visible(visible: boolean) {
    if (visible === this._visible) {
      return;
    }
    this._visible = visible;
    this._poll.frequency = this._frequency();
    this._changed.emit();
    if (visible) {
      this._reloadSelected = this._selectedId !== null;
      this._tickNow();
      void this.loadUsage();
    }
  }

  get filters(): IJobFilters {
    return { ...this._filters };
  }

  /**
   * Filter the list (and go back to its first page). Keys left undefined keep
   * their filter; null or '' clears it; the search text is trimmed.
   */
  setFilters(filters: Partial<IJobFilters>): void {
    const next: IJobFilters = { ...this._filters };
    for (const key of FILTER_KEYS) {
      const value = filters[key];
      if (value !== undefined) {
        const text = key === 'q' && value ? value.trim() : value;
        (next as Record<keyof IJobFilters, string | null>)[key] = text || null;
      }
    }
    if (FILTER_KEYS.every(key => next[key] === this._filters[key])) {
      return;
    }
    this._filters = next;
    this._offset = 0;
    this._pageIsCurrent = false;
    this._changed.emit();
    this._tickNow();
  }

  /** Whether a CSV export is on its way. */
  get exporting(): boolean {
    return this._exporting;
  }

  /**
   * The jobs of the current filters (every page) as CSV, from the server's
   * jobs.csv. Rejects with the server's error.
   */
  async exportCsv(): Promise<Blob> {
    this._exporting = true;
    this._changed.emit();
    try {
      return await exportJobsCsv(this._filters, this._settings);
    } finally {
      this._exporting = false;
      if (!this.isDisposed) {
        this._changed.emit();
      }
    }
  }

  /** The page shown; null until the first one arrives. */
  get page(): IJobPage | null {
    return this._page;
  }

  /** False while the page for the current filters and offset is on its way. */
  get pageIsCurrent(): boolean {
    return this._pageIsCurrent;
  }

  /** Show the page starting at `offset`. */
  setOffset(offset: number): void {
    this.setWindow(offset, this._pageSize);
  }

  /** How many jobs a page (the list's window) holds. */
  get pageSize(): number {
    return this._pageSize;
  }

  /**
   * Show `size` jobs from `offset` (the virtualised list's window, moved by
   * scrolling); `size` is kept within 1 and the API's `MAX_PAGE_SIZE`.
   */
  setWindow(offset: number, size: number): void {
    const next = Math.max(0, Math.floor(offset));
    const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(size)));
    if (next === this._offset && limit === this._pageSize) {
      return;
    }
    this._offset = next;
    this._pageSize = limit;
    this._pageIsCurrent = false;
    this._changed.emit();
    this._tickNow();
  }

  nextPage(): void {
    const page = this._page;
    if (page && this._offset + this._pageSize < page.total) {
      this.setOffset(this._offset + this._pageSize);
    }
  }

  previousPage(): void {
    this.setOffset(this._offset - this._pageSize);
  }

  /** The configured backends, for the backend filter. */
  get backends(): readonly IBackend[] {
    return this._backends;
  }

  /** The id of the job in the details view, or null for the list. */
  get selectedId(): string | null {
    return this._selectedId;
  }

  /** The job in the details view, once loaded. */
  get selectedJob(): IJob | null {
    return this._selectedJob;
  }

  /** Whether the server answered 404 for the selected job. */
  get selectedMissing(): boolean {
    return this._selectedMissing;
  }

  /** Show one job's details (or, with null, the list); leaves a comparison. */
  select(id: string | null): void {
    if (id !== null) {
      this._compared = null;
    }
    if (id !== this._selectedId) {
      this._selectedId = id;
      this._selectedJob = null;
      this._selectedMissing = false;
    }
    this._reloadSelected = id !== null;
    this._changed.emit();
    this._tickNow();
  }

  /** The jobs checked for comparison, in the order they were checked (as the list last showed them). */
  get checkedJobs(): readonly IJob[] {
    return [...this._checked.values()];
  }

  /** Whether a job is checked for comparison. */
  isChecked(id: string): boolean {
    return this._checked.has(id);
  }

  /**
   * Check a job for comparison, or uncheck it. The check survives paging, filters and
   * refreshes; a job that cannot be compared (`compareBlocker`) is not checked.
   */
  setChecked(job: IJob, checked: boolean): void {
    const on = checked && compareBlocker(job) === null;
    if (on === this._checked.has(job.id)) {
      return;
    }
    if (on) {
      this._checked.set(job.id, job);
    } else {
      this._checked.delete(job.id);
    }
    this._changed.emit();
  }

  /** Uncheck every job. */
  clearChecked(): void {
    if (this._checked.size) {
      this._checked.clear();
      this._changed.emit();
    }
  }

  /** Whether the comparison of the checked jobs can be shown: 2 to `MAX_COMPARE` of them. */
  get canCompare(): boolean {
    return this._checked.size >= 2 && this._checked.size <= MAX_COMPARE;
  }

  /** Whether the comparison view is shown (instead of the list or the details). */
  get comparing(): boolean {
    return this._compared !== null;
  }

  /** The ids of the compared jobs, in the order they were checked; empty while not comparing. */
  get comparedIds(): readonly string[] {
    return this._compared?.ids ?? [];
  }

  /**
   * The compared jobs fetched so far (`GET jobs/{id}`, with their counts), by id;
   * null for a job the server no longer has.
   */
  get comparedJobs(): ReadonlyMap<string, IJob | null> {
    return this._compared?.jobs ?? new Map();
  }

  /** Show the comparison of the checked jobs (a no-op unless `canCompare`); leaves the details. */
  openComparison(): void {
    if (!this.canCompare) {
      return;
    }
    this._compared = { ids: [...this._checked.keys()], jobs: new Map() };
    this._selectedId = null;
    this._selectedJob = null;
    this._selectedMissing = false;
    this._reloadSelected = false;
    this._changed.emit();
    this._tickNow();
  }

  /** Back from the comparison to the list (the checked jobs stay checked). */
  closeComparison(): void {
    if (this._compared === null) {
      return;
    }
    this._compared = null;
    this._changed.emit();
    this._tickNow();
  }

  /** Whether the selected job can be cancelled now. */
  get canCancelSelected(): boolean {
    const job = this._selectedJob;
    return canCancel(job) && !this.isCancelling(job!.id);
  }

  /** Whether a cancel request for the job is in flight. */
  isCancelling(id: string): boolean {
    return this._cancelling.has(id);
  }

  /** Ask the server to cancel a job, then refresh. Rejects with the server's error. */
  async cancel(id: string): Promise<void> {
    this._cancelling.add(id);
    this._changed.emit();
    try {
      await cancelJob(id, this._settings);
    } finally {
      this._cancelling.delete(id);
      this._reloadSelected = this._selectedId !== null;
      if (!this.isDisposed) {
        this._changed.emit();
        this._tickNow();
      }
    }
  }

  /** The error of the last tick, or null when it went through. */
  get error(): Error | null {
    return this._error;
  }

  /**
   * Whether finish notices keep coming while the page is hidden (for desktop
   * notifications); otherwise the poll stands by until the page is shown again.
   */
  get watchWhenHidden(): boolean {
    return this._watchWhenHidden;
  }

  set watchWhenHidden(watch: boolean) {
    this._watchWhenHidden = watch;
  }

  /** Whether the server pushes changes (the change feed is open): the poll slows down. */
  get pushed(): boolean {
    return this._pushed;
  }

  set pushed(pushed: boolean) {
    if (pushed === this._pushed) {
      return;
    }
    this._pushed = pushed;
    this._poll.frequency = this._frequency();
    if (!pushed) {
      this._tickNow(); // changes may have been missed while the feed went down
    }
  }

  /**
   * The server says jobs changed: tick soon, at most once per `PUSH_MIN_GAP` however many
   * changes come (each tick fetches everything shown, so one covers them all).
   */
  changesPushed(): void {
    if (this.isDisposed || this._pushTimer !== null) {
      return;
    }
    const wait = Math.max(0, this._lastPushTick + PUSH_MIN_GAP - Date.now());
    this._pushTimer = setTimeout(() => {
      this._pushTimer = null;
      if (!this.isDisposed) {
        this._lastPushTick = Date.now();
        void this._poll.schedule({ interval: Poll.IMMEDIATE, phase: 'refreshed' });
      }
    }, wait);
  }

  /** The usage ledger of the last 30 days per backend; null until loaded. */
  get usage(): readonly IUsageGroup[] | null {
    return this._usage;
  }

  /** The budgets for paid backends that apply to the user (spent, reserved, left). */
  get budgets(): readonly IBudget[] {
    return this._budgets;
  }

  /** Load the usage summary and the budgets (when the panel is shown and on refresh; errors keep the last). */
  async loadUsage(): Promise<void> {
    try {
      const [usage, budgets] = await Promise.all([
        getUsage('backend', USAGE_SINCE, this._settings),
        getBudgets(this._settings).catch(() => this._budgets)
      ]);
      if (!this.isDisposed) {
        this._usage = usage.groups;
        this._budgets = budgets;
        this._changed.emit();
      }
    } catch {
      return; // the poll reports API errors
    }
  }

  /** Tick now (reloading the backends, the usage and the selected job); resolves when the tick is done. */
  async refresh(): Promise<void> {
    this._reloadSelected = this._selectedId !== null;
    void this._loadBackends();
    if (this._visible) {
      void this.loadUsage();
    }
    this._tickNow();
    await this._poll.tick;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._pushTimer !== null) {
      clearTimeout(this._pushTimer);
      this._pushTimer = null;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Start a tick at once, also while one is under way: that one's answers are
   * stale (they were asked before this change), so it no longer reports.
   */
  private _tickNow(): void {
    this._seq += 1;
    void this._poll.schedule({ interval: Poll.IMMEDIATE, phase: 'refreshed' });
  }

  private _frequency(): IPoll.Frequency {
    const polled = this._visible ? this._interval : this._hiddenInterval;
    const interval = this._pushed ? Math.max(polled, PUSHED_INTERVAL) : polled;
    return { interval, backoff: true, max: Math.max(interval, MAX_BACKOFF) };
  }

  private _pageQuery(): IListJobsOptions {
    return { ...this._filters, limit: this._pageSize, offset: this._offset };
  }

  /** One tick. Throws on API errors, so the poll backs off. */
  private async _tick(): Promise<void> {
    const seq = ++this._seq;
    let notices: readonly IJobNotice[] = [];
    try {
      let recent: IJobList | undefined;
      if (this._visible) {
        if (!this._backendsLoaded) {
          void this._loadBackends();
        }
        if (this._compared !== null) {
          await this._loadComparison(seq);
        } else if (this._selectedId === null) {
          recent = await this._loadPage(seq);
        } else {
          await this._loadSelected(this._selectedId, seq);
        }
      }
      if (seq !== this._seq) {
        return; // a newer tick started (filters, page or selection changed): it reports
      }
      notices = await this._watch(recent);
      this._error = null;
    } catch (error) {
      if (seq === this._seq) {
        this._error = error instanceof Error ? error : new Error(String(error));
      }
      throw error;
    } finally {
      if (seq === this._seq && !this.isDisposed) {
        this._changed.emit();
      }
      // after the rows are drawn: notices (toasts) take time to show
      if (notices.length && !this.isDisposed) {
        this._jobsFinished.emit(notices);
      }
    }
  }

  /** Fetch the page; return it when it is also the watcher's list of recent jobs. */
  private async _loadPage(seq: number): Promise<IJobList | undefined> {
    let query = this._pageQuery();
    let list = await listJobs(query, this._settings);
    if (seq !== this._seq) {
      return undefined;
    }
    if (list.jobs.length === 0 && list.total > 0 && query.offset! >= list.total) {
      // The page is gone (jobs deleted, or fewer match now): show the last one.
      this._offset = lastPageOffset(list.total, this._pageSize);
      query = this._pageQuery();
      list = await listJobs(query, this._settings);
      if (seq !== this._seq) {
        return undefined;
      }
    }
    this._page = { jobs: list.jobs, offset: query.offset!, limit: query.limit!, total: list.total };
    for (const job of list.jobs) {
      if (this._checked.has(job.id)) {
        this._checked.set(job.id, job); // keep the checked job as the list shows it now
      }
    }
    this._pageIsCurrent = true;
    // the first window of the whole list holds the watcher's recent jobs: it need not ask again
    const recent = this._watcher.recentQuery;
    const holdsRecent =
      !isFiltered(query) && query.offset === recent.offset && (query.limit ?? 0) >= (recent.limit ?? 0);
    return holdsRecent ? { ...list, jobs: list.jobs.slice(0, recent.limit) } : undefined;
  }

  private async _loadSelected(id: string, seq: number): Promise<void> {
    const shown = this._selectedJob;
    if (!this._reloadSelected && shown?.id === id && isTerminal(shown.status)) {
      return; // a finished job does not change
    }
    let job: IJob | null = null;
    try {
      job = await getJob(id, this._settings);
    } catch (error) {
      if (!(error instanceof QnbAPIError && error.status === 404)) {
        throw error;
      }
    }
    if (seq === this._seq && this._selectedId === id) {
      this._reloadSelected = false;
      this._selectedJob = job;
      this._selectedMissing = job === null;
    }
  }

  /** Fetch the compared jobs not fetched yet (finished jobs do not change: once is enough). */
  private async _loadComparison(seq: number): Promise<void> {
    const compared = this._compared!;
    const missing = compared.ids.filter(id => !compared.jobs.has(id));
    if (!missing.length) {
      return;
    }
    const jobs = await Promise.all(
      missing.map(async id => {
        try {
          return await getJob(id, this._settings);
        } catch (error) {
          if (error instanceof QnbAPIError && error.status === 404) {
            return null;
          }
          throw error;
        }
      })
    );
    if (seq === this._seq && this._compared === compared) {
      missing.forEach((id, i) => compared.jobs.set(id, jobs[i]));
    }
  }

  /** Run the watcher, unless a check is already under way (it will report). */
  /** The watcher's check: the jobs that finished since the last one. */
  private async _watch(recent?: IJobList): Promise<readonly IJobNotice[]> {
    if (this._watching) {
      return [];
    }
    this._watching = true;
    try {
      return await this._watcher.check(recent);
    } finally {
      this._watching = false;
    }
  }

  private async _loadBackends(): Promise<void> {
    try {
      this._backends = (await listBackends(this._settings)).backends;
      this._backendsLoaded = true;
    } catch {
      return; // the poll reports API errors; keep the list we have
    }
    if (!this.isDisposed) {
      this._changed.emit();
    }
  }

  private _backends: readonly IBackend[] = [];
  private _backendsLoaded = false;
  private _cancelling = new Set<string>();
  private _changed = new Signal<this, void>(this);
  /** The jobs checked for comparison, by id, in the order checked. */
  private _checked = new Map<string, IJob>();
  /** The comparison shown: the compared ids and the jobs fetched so far. */
  private _compared: { ids: string[]; jobs: Map<string, IJob | null> } | null = null;
  private _error: Error | null = null;
  private _exporting = false;
  private _filters: IJobFilters = { ...NO_FILTERS };
  private _hiddenInterval: number;
  private _interval: number;
  private _jobsFinished = new Signal<this, readonly IJobNotice[]>(this);
  private _offset = 0;
  private _page: IJobPage | null = null;
  private _pageIsCurrent = false;
  private _pageSize: number;
  private _poll: Poll<void, unknown, 'standby'>;
  private _reloadSelected = false;
  private _selectedId: string | null = null;
  private _selectedJob: IJob | null = null;
  private _selectedMissing = false;
  private _seq = 0;
  private _settings: ServerConnection.ISettings | undefined;
  private _visible = false;
  private _watcher: JobWatcher;
  private _watching = false;
  private _pushed = false;
  private _watchWhenHidden = false;
  private _usage: readonly IUsageGroup[] | null = null;
  private _budgets: readonly IBudget[] = [];
  private _pushTimer: ReturnType<typeof setTimeout> | null = null;
  private _lastPushTick = 0;
}
