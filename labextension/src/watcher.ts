// Which jobs just finished? The transition logic behind the notifications,
// kept pure (state in, state and notices out) so it is unit-tested directly.
import type { IJobList, IListJobsOptions } from './api';
import { jobTitle } from './format';
import type { IJob, JobStatus } from './job';
import { isActive, isTerminal } from './job';

/** What the watcher remembers between two checks. */
export interface IWatchState {
  /** Jobs last seen QUEUED or RUNNING, with that status. */
  active: Map<string, JobStatus>;
  /**
   * The newest `created_at` seen so far (server clock), or null before the
   * first check. A job created after it that is already finished when first
   * seen was started and finished between two checks: that is news too.
   */
  newestCreated: string | null;
  /** False until the first snapshot has been taken: it never notifies. */
  initialized: boolean;
}

export interface IJobNotice {
  id: string;
  status: JobStatus;
  kind: 'success' | 'error' | 'info';
  message: string;
  job: IJob;
}

export function emptyWatchState(): IWatchState {
  return { active: new Map(), newestCreated: null, initialized: false };
}

/** "Job bell (3f2a9c1b7d4e) finished on aer", and so on. */
export function noticeFor(job: IJob): IJobNotice | null {
  const title = `Job ${jobTitle(job)}`;
  switch (job.status) {
    case 'DONE':
      return { id: job.id, status: job.status, kind: 'success', job, message: `${title} finished on ${job.backend}` };
    case 'ERROR': {
      let reason = (job.error ?? '').split('\n')[0].trim();
      if (reason.length > 120) {
        reason = reason.slice(0, 117) + '...';
      }
      return {
        id: job.id,
        status: job.status,
        kind: 'error',
        job,
        message: `${title} failed on ${job.backend}${reason ? `: ${reason}` : ''}`
      };
    }
    case 'CANCELLED':
      return { id: job.id, status: job.status, kind: 'info', job, message: `${title} was cancelled on ${job.backend}` };
    default:
      return null;
  }
}

const laterThan = (a: string, b: string | null): boolean => {
  if (b === null) {
    return true;
  }
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(ta) || Number.isNaN(tb)) {
    return a > b;
  }
  return ta > tb;
};

/**
 * Fold a snapshot of jobs into the watch state.
 *
 * @param prev - the state after the previous check
 * @param jobs - the jobs fetched this check: the most recent ones, the active
 *   ones, and a fresh copy of any previously active job missing from both
 * @param gone - ids the server no longer knows (404): forget them
 * @returns the next state and the notices to show, in the order of `jobs`
 *
 * Rules: the first snapshot only records; a job notifies once, when it is
 * seen in a terminal status after having been seen QUEUED or RUNNING, or
 * when it is first seen already finished but was created after the newest
 * job of the previous snapshots. Jobs finished before the page loaded never
 * notify.
 */
export function computeTransitions(
  prev: IWatchState,
  jobs: readonly IJob[],
  gone: readonly string[] = []
): { state: IWatchState; notices: IJobNotice[] } {
  const active = new Map(prev.active);
  const notices: IJobNotice[] = [];
  const seen = new Set<string>();
  let newest = prev.newestCreated;

  for (const job of jobs) {
    if (!job || seen.has(job.id)) {
      continue;
    }
    seen.add(job.id);
    const before = prev.active.get(job.id);
    if (isActive(job.status)) {
      active.set(job.id, job.status);
    } else if (isTerminal(job.status)) {
      active.delete(job.id);
      const wasActive = before !== undefined;
      const bornSinceLastPoll =
        before === undefined &&
        prev.initialized &&
        !!job.created_at &&
        laterThan(job.created_at, prev.newestCreated);
      if (prev.initialized && (wasActive || bornSinceLastPoll)) {
        const notice = noticeFor(job);
        if (notice) {
          notices.push(notice);
        }
      }
    }
    if (job.created_at && (newest === null || laterThan(job.created_at, newest))) {
      newest = job.created_at;
    }
  }
  for (const id of gone) {
    active.delete(id);
  }
  // An empty store at the first check: every job from now on is new.
  if (newest === null) {
    newest = new Date(0).toISOString();
  }
  return { state: { active, newestCreated: newest, initialized: true }, notices };
}

/** Ids still tracked as active but absent from this check's jobs. */
export function missingActive(state: IWatchState, jobs: readonly IJob[]): string[] {
  const present = new Set(jobs.map(j => j.id));
  return [...state.active.keys()].filter(id => !present.has(id));
}

export interface ISummaryNotice {
  kind: 'success' | 'error' | 'info';
  message: string;
}

/** One notice for a burst: "12 quantum jobs finished: 10 done, 2 failed". */
export function summarizeNotices(notices: readonly IJobNotice[]): ISummaryNotice {
  const done = notices.filter(n => n.status === 'DONE').length;
  const failed = notices.filter(n => n.status === 'ERROR').length;
  const cancelled = notices.filter(n => n.status === 'CANCELLED').length;
  const parts: string[] = [];
  if (done) {
    parts.push(`${done} done`);
  }
  if (failed) {
    parts.push(`${failed} failed`);
  }
  if (cancelled) {
    parts.push(`${cancelled} cancelled`);
  }
  return {
    kind: failed ? 'error' : done ? 'success' : 'info',
    message: `${notices.length} quantum jobs finished: ${parts.join(', ')}`
  };
}

export interface IJobWatcherOptions {
  /** GET jobs (the REST client's listJobs, bound to the server settings). */
  listJobs: (options: IListJobsOptions) => Promise<IJobList>;
  /** GET one job. */
  getJob: (id: string) => Promise<IJob>;
  /** How many of the newest jobs each check looks at (default 50). */
  recent?: number;
  /** At most this many single-job requests per check (default 20). */
  maxLookups?: number;
}

/**
 * Follows queued and running jobs from one check to the next and reports the
 * ones that finished. The jobs model runs a check on every tick of its poll.
 */
export class JobWatcher {
  constructor(options: IJobWatcherOptions) {
    this._options = options;
  }

  get state(): IWatchState {
    return this._state;
  }

  /** The query of the newest jobs each check looks at. */
  get recentQuery(): IListJobsOptions {
    return { limit: this._options.recent ?? 50, offset: 0 };
  }

  /**
   * Fetch, fold into the state, and return the notices (in the order of the
   * jobs). `recent` is the answer to `recentQuery` when the caller already has it.
   * Throws on API errors, leaving the state as it was.
   */
  async check(recent?: IJobList): Promise<IJobNotice[]> {
    const { listJobs, getJob } = this._options;
    const newest = recent ?? (await listJobs(this.recentQuery));
    let jobs: IJob[] = [...newest.jobs];
    const gone: string[] = [];

    const needActiveLists = !this._state.initialized || missingActive(this._state, jobs).length > 0;
    if (needActiveLists) {
      const [queued, running] = await Promise.all([
        listJobs({ status: 'QUEUED', limit: 500, offset: 0 }),
        listJobs({ status: 'RUNNING', limit: 500, offset: 0 })
      ]);
      jobs = jobs.concat(running.jobs, queued.jobs);
      if (this._state.initialized) {
        // Jobs we followed that are neither recent nor active any more:
        // ask for each, a bounded number per check.
        const missing = missingActive(this._state, jobs).slice(0, this._options.maxLookups ?? 20);
        const fetched = await Promise.all(
          missing.map(id =>
            getJob(id).catch((error: { status?: number | null }) => {
              if (error && error.status === 404) {
                gone.push(id);
              }
              return null;
            })
          )
        );
        jobs = jobs.concat(fetched.filter((j): j is IJob => j !== null));
      }
    }

    const { state, notices } = computeTransitions(this._state, jobs, gone);
    this._state = state;
    return notices;
  }

  private _options: IJobWatcherOptions;
  private _state: IWatchState = emptyWatchState();
}
