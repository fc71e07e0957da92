// The typed client of the qnb REST API (qnb/server/routes.py), over `requestAPI`.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { IJob, JobStatus } from './job';
import { requestAPI } from './request';

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

export interface IListJobsOptions {
  status?: JobStatus | null;
  backend?: string | null;
  /** A qnb session id (12 hex digits): only the jobs submitted in it. */
  session?: string | null;
  limit?: number;
  offset?: number;
}

/** Build `?status=..&backend=..&session=..&limit=..&offset=..`, leaving out unset values. */
export function jobsQuery(options: IListJobsOptions = {}): string {
  const query: Record<string, string> = {};
  if (options.status) {
    query.status = options.status;
  }
  if (options.backend) {
    query.backend = options.backend;
  }
  if (options.session) {
    query.session = options.session;
  }
  if (options.limit !== undefined && options.limit !== null) {
    query.limit = String(options.limit);
  }
  if (options.offset !== undefined && options.offset !== null) {
    query.offset = String(options.offset);
  }
  return URLExt.objectToQueryString(query);
}

function jobPath(id: string, ...rest: string[]): string {
  return ['jobs', encodeURIComponent(id), ...rest].join('/');
}

/** GET /qnb/api/jobs?status=&backend=&session=&limit=&offset= */
export async function listJobs(
  options: IListJobsOptions = {},
  settings?: ServerConnection.ISettings
): Promise<IJobList> {
  const data = await requestAPI<IJobList>(`jobs${jobsQuery(options)}`, { method: 'GET' }, settings);
  return { jobs: data?.jobs ?? [], total: data?.total ?? 0 };
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
