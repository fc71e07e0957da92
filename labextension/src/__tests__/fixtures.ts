import type { IJob, JobStatus } from '../api';

let counter = 0;

/** A job as the server sends it, with overrides. */
export function makeJob(overrides: Partial<IJob> = {}): IJob {
  counter += 1;
  const id = overrides.id ?? counter.toString(16).padStart(12, '0');
  const status: JobStatus = overrides.status ?? 'QUEUED';
  return {
    id,
    name: 'bell',
    backend: 'aer',
    provider: 'aer',
    status,
    provider_status: null,
    shots: 1000,
    seed: null,
    num_circuits: 1,
    summary: { num_qubits: 2, depth: 3, gate_counts: { h: 1, cx: 1, measure: 2 } },
    created_at: '2026-11-21T04:30:00.123Z',
    started_at: status === 'QUEUED' ? null : '2026-11-21T04:30:01.000Z',
    finished_at: status === 'QUEUED' || status === 'RUNNING' ? null : '2026-11-21T04:30:03.500Z',
    error: status === 'ERROR' ? 'AerError: simulation failed' : null,
    remote_id: null,
    queue_position: null,
    estimated_start: null,
    origin: 'kernel',
    cancel_requested: false,
    ...overrides
  };
}
