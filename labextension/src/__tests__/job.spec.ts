// The TypeScript side of the job JSON contract (see tests/test_ijob_contract.py):
// JOB_KEYS, which the compiler holds equal to `keyof IJob`, lists exactly the
// keys of the server's job JSON recorded in fixtures/job.json.
import { canCancel, isActive, isTerminal, JOB_KEYS, JOB_STATUSES } from '../job';
import serverJob from './fixtures/job.json';

describe('IJob', () => {
  it('has exactly the keys of the job JSON the server sends', () => {
    expect([...JOB_KEYS].sort()).toEqual(Object.keys(serverJob).sort());
  });

  it('has each key once', () => {
    expect(new Set(JOB_KEYS).size).toBe(JOB_KEYS.length);
  });

  it('knows the status of the fixture', () => {
    expect(JOB_STATUSES).toContain(serverJob.status);
  });
});

describe('statuses', () => {
  it('splits them into active and terminal ones', () => {
    expect(JOB_STATUSES.filter(isActive)).toEqual(['QUEUED', 'RUNNING']);
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['DONE', 'ERROR', 'CANCELLED']);
  });

  it('allows a cancel while active and not yet requested', () => {
    expect(canCancel({ status: 'RUNNING', cancel_requested: false })).toBe(true);
    expect(canCancel({ status: 'RUNNING', cancel_requested: true })).toBe(false);
    expect(canCancel({ status: 'DONE', cancel_requested: false })).toBe(false);
    expect(canCancel(null)).toBe(false);
  });
});
