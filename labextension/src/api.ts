// Typed client over the qnb REST contract (see DESIGN.md, "Contract").
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './request';

export type JobStatus = 'QUEUED' | 'RUNNING' | 'DONE' | 'ERROR' | 'CANCELLED';

/** Every status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = [
  'QUEUED',
  'RUNNING',
  'DONE',
  'ERROR',
  'CANCELLED'
];

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['DONE', 'ERROR', 'CANCELLED'];

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export function isActive(status: string): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}

export interface ICircuitSummary {
  num_qubits: number;
  depth: number;
  gate_counts: Record<string, number>;
}

/** A job as the server returns it. `counts` only comes with getJob on a DONE job. */
export interface IJob {
  id: string;
  name: string | null;
  backend: string;
  provider: string;
  status: JobStatus;
  provider_status: string | null;
  shots: number;
  seed: number | null;
  num_circuits: number;
  summary: ICircuitSummary | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  remote_id: string | null;
  queue_position: number | null;
  estimated_start: string | null;
  origin: string;
  cancel_requested: boolean;
  counts?: Array<Record<string, number>> | null;
}

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
  reachable: boolean | null;
  detail: string | null;
}

export interface IBackendList {
  backends: IBackend[];
  default: string | null;
}

export interface IListJobsOptions {
  status?: JobStatus | null;
  backend?: string | null;
  limit?: number;
  offset?: number;
}

export interface ISubmitJobOptions {
  qasm: string;
  backend?: string;
  shots?: number;
  name?: string;
}

/** Build `?status=..&backend=..&limit=..&offset=..`, leaving out unset values. */
export function jobsQuery(options: IListJobsOptions = {}): string {
  const query: Record<string, string> = {};
  if (options.status) {
    query.status = options.status;
  }
  if (options.backend) {
    query.backend = options.backend;
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

/** GET /qnb/api/jobs?status=&backend=&limit=&offset= */
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

/** POST /qnb/api/jobs (201) -> {id} */
export function submitJob(
  options: ISubmitJobOptions,
  settings?: ServerConnection.ISettings
): Promise<{ id: string }> {
  const body: Record<string, unknown> = { qasm: options.qasm };
  if (options.backend !== undefined) {
    body.backend = options.backend;
  }
  if (options.shots !== undefined) {
    body.shots = options.shots;
  }
  if (options.name !== undefined) {
    body.name = options.name;
  }
  return requestAPI<{ id: string }>(
    'jobs',
    {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' }
    },
    settings
  );
}
