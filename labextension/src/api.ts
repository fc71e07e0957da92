// The typed client of the qnb REST API (qnb/server/routes.py), over `requestAPI`.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { IJob, JobStatus } from './job';
import { apiURL, requestAPI, requestBlob } from './request';

/** A page of jobs, newest first, and how many match the filters. */
export interface IJobList {
  jobs: IJob[];
  total: number;
}

export interface IBackend {
  name: string;
  provider: string;
  num_qubits: number | null;
  simulator: boolean;
  default: boolean;
  reachable: boolean;
  detail: string | null;
}

export interface IBackendList {
  backends: IBackend[];
  default: string | null;
}

/** The filters of a listing or an export: unset (null, empty) ones are left out. */
export interface IJobQuery {
  status?: JobStatus | null;
  backend?: string | null;
  /** One tag: only the jobs that carry it. */
  tag?: string | null;
  /** A search in the name, the id (a prefix), the tags and the backend. */
  q?: string | null;
  /** A qnb session id (12 hex digits): only the jobs submitted in it. */
  session?: string | null;
  /** An ISO 8601 time: only the jobs submitted since. */
  since?: string | null;
  /** One user: only their jobs (a member of one of your groups). */
  owner?: string | null;
  /** "1": the jobs of every member of your groups (the Team view); unset: only yours. */
  team?: string | null;
}

export interface IListJobsOptions extends IJobQuery {
  limit?: number;
  offset?: number;
}

/** The file name of the CSV export. */
export const CSV_FILENAME = 'qnb-jobs.csv';

/** The filters in query-string order. */
const FILTER_PARAMS = ['status', 'backend', 'tag', 'q', 'session', 'since', 'owner', 'team'] as const;

/**
 * Build `?status=..&backend=..&tag=..&q=..&session=..&since=..&limit=..&offset=..`,
 * leaving out unset values (and search text that is only blanks).
 */
export function jobsQuery(options: IListJobsOptions = {}): string {
  const query: Record<string, string> = {};
  for (const key of FILTER_PARAMS) {
    const value = options[key];
    if (value && value.trim()) {
      query[key] = key === 'q' ? value.trim() : value;
    }
  }
  if (options.limit !== undefined && options.limit !== null) {
    query.limit = String(options.limit);
  }
  if (options.offset !== undefined && options.offset !== null) {
    query.offset = String(options.offset);
  }
  return URLExt.objectToQueryString(query);
}

/** The jobs.csv endpoint with the filters (never a page: the export has every matching job). */
export function jobsCsvPath(filters: IJobQuery = {}): string {
  return `jobs.csv${jobsQuery({ ...filters, limit: undefined, offset: undefined })}`;
}

/** The full URL of the CSV export of the filtered jobs. */
export function jobsCsvURL(filters: IJobQuery = {}, settings?: ServerConnection.ISettings): string {
  return apiURL(jobsCsvPath(filters), settings);
}

function jobPath(id: string, ...rest: string[]): string {
  return ['jobs', encodeURIComponent(id), ...rest].join('/');
}

/** GET /qnb/api/jobs?status=&backend=&tag=&q=&session=&since=&limit=&offset= */
export async function listJobs(
  options: IListJobsOptions = {},
  settings?: ServerConnection.ISettings
): Promise<IJobList> {
  const data = await requestAPI<IJobList>(`jobs${jobsQuery(options)}`, { method: 'GET' }, settings);
  return { jobs: data?.jobs ?? [], total: data?.total ?? 0 };
}

/**
 * GET /qnb/api/jobs.csv?status=&backend=&tag=&q=&session=&since=: the filtered jobs
 * as CSV (text/csv), with the same authentication as every other call.
 */
export function exportJobsCsv(filters: IJobQuery = {}, settings?: ServerConnection.ISettings): Promise<Blob> {
  return requestBlob(jobsCsvPath(filters), { method: 'GET' }, settings);
}

/** GET /qnb/api/jobs/{id} */
export function getJob(id: string, settings?: ServerConnection.ISettings): Promise<IJob> {
  return requestAPI<IJob>(jobPath(id), { method: 'GET' }, settings);
}

/** POST /qnb/api/jobs/{id}/cancel (202 Accepted) */
export async function cancelJob(id: string, settings?: ServerConnection.ISettings): Promise<void> {
  await requestAPI<unknown>(jobPath(id, 'cancel'), { method: 'POST' }, settings);
}

/** GET /qnb/api/backends */
export async function listBackends(settings?: ServerConnection.ISettings): Promise<IBackendList> {
  const data = await requestAPI<IBackendList>('backends', { method: 'GET' }, settings);
  return { backends: data?.backends ?? [], default: data?.default ?? null };
}

/** One group of the usage ledger (`qnb usage`): what the jobs that finished in it used. */
export interface IUsageGroup {
  /** The backend, day (UTC), tag or status. */
  group: string;
  jobs: number;
  shots: number;
  circuits: number;
  queue_seconds: number | null;
  run_seconds: number | null;
  /** QPU seconds the services reported; null when none did. */
  qpu_seconds: number | null;
  /** An estimate from the profiles' price tables (USD); null when none applies. */
  cost_estimate: number | null;
}

export interface IUsage {
  by: string;
  since: number | null;
  groups: IUsageGroup[];
  cost_is_estimate: boolean;
}

/** One limit of a budget for paid backends: its cap, what is spent, reserved and left. */
export interface IBudgetFigures {
  cap: number;
  spent: number;
  reserved: number;
  left: number;
}

/** A budget that applies to the user: theirs, or one of their groups'. */
export interface IBudget {
  /** "user alice" or "group physics". */
  budget: string;
  /** day, week, month or year */
  period: string;
  usd: IBudgetFigures | null;
  qpu_seconds: IBudgetFigures | null;
}

/** GET /qnb/api/usage?budget=1: the budgets that apply to the user (empty when none does). */
export async function getBudgets(settings?: ServerConnection.ISettings): Promise<IBudget[]> {
  const data = await requestAPI<{ budgets?: IBudget[] }>('usage?budget=1', { method: 'GET' }, settings);
  return data?.budgets ?? [];
}

/** GET /qnb/api/usage?by=&since= */
export async function getUsage(
  by: 'backend' | 'day' | 'tag' | 'status' = 'backend',
  since: string | null = null,
  settings?: ServerConnection.ISettings
): Promise<IUsage> {
  const query = URLExt.objectToQueryString(since ? { by, since } : { by });
  const data = await requestAPI<IUsage>(`usage${query}`, { method: 'GET' }, settings);
  return { by, since: data?.since ?? null, groups: data?.groups ?? [], cost_is_estimate: true };
}
