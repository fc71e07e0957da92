// The job JSON of the qnb REST API (qnb/server/service.py `job_json` and `get_job`), its
// statuses, and the list of its keys that tests hold equal to the server's.

export type JobStatus = 'QUEUED' | 'RUNNING' | 'DONE' | 'ERROR' | 'CANCELLED';

/** Every status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = ['QUEUED', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED'];

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['DONE', 'ERROR', 'CANCELLED'];

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export function isActive(status: string): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}

/** Whether a cancel makes sense: the job is active and no cancel was asked for yet. */
export function canCancel(job: Pick<IJob, 'status' | 'cancel_requested'> | null): boolean {
  return !!job && isActive(job.status) && !job.cancel_requested;
}

/**
 * Why a job cannot be compared with others (the sidebar's "Compare"), or null when it
 * can: only DONE jobs with counts (not Estimator jobs, whose results are expectation
 * values, nor resource estimates). A listed job carries no `counts`; a fetched one says whether it has any
 * (for circuit 0, the one compared).
 */
export function compareBlocker(
  job: Pick<IJob, 'status' | 'primitive'> & { provider?: string; counts?: Counts[] }
): string | null {
  if (job.status !== 'DONE') {
    return `Only finished (DONE) jobs can be compared: this one is ${job.status}`;
  }
  if (job.primitive === 'estimator') {
    return 'An Estimator job has expectation values, not counts, to compare';
  }
  if (job.provider === ESTIMATE_PROVIDER) {
    return 'A resource estimate has figures (qubits, runtime), not counts, to compare';
  }
  if (job.counts !== undefined && !Object.keys(job.counts[0] ?? {}).length) {
    return 'No counts were recorded for this job';
  }
  return null;
}

/** Outcome (bitstring) to count, or to probability for mitigated counts. */
export type Counts = Record<string, number>;

/** The Qiskit primitive that ran a job of PUBs; null (in `IJob`) for plain circuit jobs. */
export type Primitive = 'sampler' | 'estimator';

/** A number, or nested arrays of numbers as numpy's `tolist()` writes an array (C order). */
export type NestedNumbers = number | NestedNumbers[];

/** What the summary of a primitive job says of one PUB. */
export interface IPubSummary {
  /** The PUB's broadcast shape: `[]` for a scalar PUB, `[n]` for a sweep of n points. */
  shape: number[];
  num_parameters: number;
}

/** The result of one Estimator PUB: expectation values and their standard errors. */
export interface IEstimatorPubResult {
  /** `[]` for a scalar PUB (then `evs` and `stds` are plain numbers). */
  shape: number[];
  /** Expectation values, nested like an array of `shape`. */
  evs: NestedNumbers;
  /** Standard errors of `evs`, nested the same way. */
  stds: NestedNumbers;
}

/** The result of one Sampler PUB: counts per parameter point. */
export interface ISamplerPubResult {
  shape: number[];
  /** The classical registers, joined in the counts' bitstrings. */
  registers: string[];
  /** One counts dict per point of `shape`, flattened in C order (one for a scalar PUB). */
  counts: Counts[];
}

/** One PUB's result, as `GET jobs/{id}` sends it for a DONE primitive job. */
export type PubResult = IEstimatorPubResult | ISamplerPubResult;

export function isEstimatorPub(pub: PubResult): pub is IEstimatorPubResult {
  return 'evs' in pub;
}

export function isSamplerPub(pub: PubResult): pub is ISamplerPubResult {
  return 'counts' in pub && Array.isArray((pub as ISamplerPubResult).counts);
}

/** The provider whose jobs are resource estimates (figures per circuit, no counts, no shots). */
export const ESTIMATE_PROVIDER = 'azure-estimator';

/** Whether a job is a resource estimate rather than a run with counts. */
export function isEstimate(job: Pick<IJob, 'provider'>): boolean {
  return job.provider === ESTIMATE_PROVIDER;
}

/**
 * One circuit's resource estimate, as `GET jobs/{id}` sends it for a DONE estimate
 * (`qnb.backends.azure_estimator.summary`): a figure the estimator did not give is null.
 */
export interface IResourceEstimate {
  physical_qubits: number | null;
  /** The runtime in nanoseconds, and as the estimator words it ("3 millisecs"). */
  runtime_ns: number | null;
  runtime: string | null;
  logical_qubits: number | null;
  logical_depth: number | null;
  code_distance: number | null;
  t_states: number | null;
  t_factories: number | null;
  /** Physical qubits of one T factory. */
  t_factory_qubits: number | null;
  qubits_for_algorithm: number | null;
  qubits_for_t_factories: number | null;
  /** Reliable quantum operations per second. */
  rqops: number | null;
  /** How the total error budget is split: "logical", "rotations", "tstates". */
  error_budget: Record<string, number>;
}

/** What the server summarizes of a job's circuits; empty when it recorded nothing. */
export interface ICircuitSummary {
  num_qubits?: number;
  num_clbits?: number;
  depth?: number;
  gate_counts?: Record<string, number>;
  /** PennyLane circuits: the measurements they return. */
  measurements?: string[];
  /** "pennylane" for PennyLane tapes run as such. */
  framework?: string;
  /** How a PennyLane circuit became the Qiskit circuit that ran. */
  converted_from?: string;
  /** Primitive jobs: which primitive. */
  primitive?: Primitive;
  /** Primitive jobs: each PUB's shape and number of parameters. */
  pubs?: IPubSummary[];
}

/**
 * A job as the server sends it. Times are ISO 8601 strings in UTC.
 *
 * Listings carry every key but `counts`, `mitigated`, `pubs` and `estimates`; `GET jobs/{id}`
 * adds `counts` for a DONE job, `mitigated` when the job asked for readout mitigation,
 * `pubs` for a DONE primitive job and `estimates` for a DONE resource estimate.
 */
/** How far a running job has got: `done` of `total` circuits. */
export interface IJobProgress {
  done: number;
  total: number;
  /**
   * What `done` counts while a local job runs: "transpiling", then "simulating" (each
   * phase counts its circuits from 0); null (or absent) when the job tells no phase.
   */
  phase?: string | null;
}

/** "transpiling 40 of 120 circuits" (or "40 of 120 circuits" without a phase). */
export function describeProgress(progress: IJobProgress, count: (n: number) => string = String): string {
  const counted = `${count(progress.done)} of ${count(progress.total)} circuits`;
  return progress.phase ? `${progress.phase} ${counted}` : counted;
}

export interface IJob {
  id: string;
  name: string | null;
  /** The backend profile's name. */
  backend: string;
  /** The provider behind the profile (aer, ibm-fake, ibm-runtime, ...). */
  provider: string;
  status: JobStatus;
  /** The provider's own word for the status, as it last reported it. */
  provider_status: string | null;
  /** Shots per circuit; 0 for Estimator jobs (their precision decides). */
  shots: number;
  seed: number | null;
  /** Circuits, or PUBs for a primitive job. */
  num_circuits: number;
  summary: ICircuitSummary;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Last change of the record. */
  updated_at: string | null;
  error: string | null;
  /** The job's id at a remote service. */
  remote_id: string | null;
  queue_position: number | null;
  estimated_start: string | null;
  /** Who submitted it: "kernel:<id>", "python:<pid>", "rest", "cli", ... */
  origin: string | null;
  cancel_requested: boolean;
  /** "sampler" or "estimator" for a job of Qiskit primitive PUBs; null for plain circuits. */
  primitive: Primitive | null;
  /** The id of the qnb session the job was submitted in. */
  session: string | null;
  /** The job's tags (`%%qsubmit --tag`, `qnb.submit(tags=...)`, `qnb tag`); empty when it has none. */
  tags: string[];
  /** Who submitted it (the JupyterHub user, else the Unix user); null for a job from before owners. */
  owner?: string | null;
  /**
   * Circuits run out of all while a many-circuit job runs (all of them once it is DONE);
   * null for a job that reports no progress.
   */
  progress: IJobProgress | null;
  /** When a running local job should end, from earlier runs of its size; null when unknown. */
  estimated_end: string | null;
  /**
   * One dict per circuit (DONE jobs, from `GET jobs/{id}` only); for Sampler jobs one per
   * PUB (all its points merged), for Estimator jobs none.
   */
  counts?: Counts[];
  /** Mitigated probabilities, one dict per circuit (jobs run with mitigation). */
  mitigated?: Counts[];
  /** One result per PUB (DONE primitive jobs, from `GET jobs/{id}` only). */
  pubs?: PubResult[];
  /** One estimate per circuit (DONE resource estimates, from `GET jobs/{id}` only). */
  estimates?: IResourceEstimate[];
}

/**
 * The keys of `IJob`. The compiler keeps this list equal to `keyof IJob`
 * (`JobKeysCheck` below fails to compile otherwise); jest compares it with the
 * keys of `__tests__/fixtures/job.json`, and `tests/test_ijob_contract.py` compares
 * those with the server's job JSON.
 */
export const JOB_KEYS = [
  'id',
  'name',
  'backend',
  'provider',
  'status',
  'provider_status',
  'shots',
  'seed',
  'num_circuits',
  'summary',
  'created_at',
  'started_at',
  'finished_at',
  'updated_at',
  'error',
  'remote_id',
  'queue_position',
  'estimated_start',
  'origin',
  'cancel_requested',
  'primitive',
  'session',
  'tags',
  'owner',
  'progress',
  'estimated_end',
  'counts',
  'mitigated',
  'pubs',
  'estimates'
] as const satisfies readonly (keyof IJob)[];

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

/** A compile-time check: every key of `IJob` is in `JOB_KEYS`. */
export type JobKeysCheck = Assert<Equal<keyof IJob, (typeof JOB_KEYS)[number]>>;
