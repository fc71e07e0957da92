import type { IListJobsOptions } from '../api';
import type { IJob, JobStatus } from '../job';
import {
  computeTransitions,
  emptyWatchState,
  IWatchState,
  JobWatcher,
  noticeFor,
  summarizeNotices
} from '../watcher';
import { makeJob } from './fixtures/jobs';

const T0 = '2026-11-21T04:30:00.000Z';
const T1 = '2026-11-21T04:31:00.000Z';
const T2 = '2026-11-21T04:32:00.000Z';

const job = (id: string, status: JobStatus, created_at = T0, extra: Partial<IJob> = {}): IJob =>
  makeJob({ id, status, created_at, ...extra });

/** Run snapshots through the transition function; return the notices of each. */
function run(...snapshots: IJob[][]): { notices: string[][]; state: IWatchState } {
  let state = emptyWatchState();
  const notices: string[][] = [];
  for (const jobs of snapshots) {
    const next = computeTransitions(state, jobs);
    state = next.state;
    notices.push(next.notices.map(n => `${n.id}:${n.status}:${n.kind}`));
  }
  return { notices, state };
}

describe('computeTransitions', () => {
  it('never notifies on the first snapshot (jobs finished before the page loaded)', () => {
    const { notices, state } = run([
      job('aaaaaaaaaaaa', 'DONE'),
      job('bbbbbbbbbbbb', 'ERROR'),
      job('cccccccccccc', 'CANCELLED'),
      job('dddddddddddd', 'RUNNING')
    ]);
    expect(notices).toEqual([[]]);
    expect([...state.active.entries()]).toEqual([['dddddddddddd', 'RUNNING']]);
    expect(state.initialized).toBe(true);
  });

  it('does not notify again for old finished jobs on later snapshots', () => {
    const old = [job('aaaaaaaaaaaa', 'DONE'), job('bbbbbbbbbbbb', 'ERROR')];
    expect(run(old, old, old).notices).toEqual([[], [], []]);
  });

  it('notifies once when a QUEUED or RUNNING job finishes, with the matching kind', () => {
    const { notices, state } = run(
      [job('aaaaaaaaaaaa', 'QUEUED'), job('bbbbbbbbbbbb', 'RUNNING'), job('cccccccccccc', 'RUNNING')],
      [job('aaaaaaaaaaaa', 'RUNNING'), job('bbbbbbbbbbbb', 'DONE'), job('cccccccccccc', 'RUNNING')],
      [job('aaaaaaaaaaaa', 'ERROR'), job('bbbbbbbbbbbb', 'DONE'), job('cccccccccccc', 'CANCELLED')],
      [job('aaaaaaaaaaaa', 'ERROR'), job('bbbbbbbbbbbb', 'DONE'), job('cccccccccccc', 'CANCELLED')]
    );
    expect(notices).toEqual([
      [],
      ['bbbbbbbbbbbb:DONE:success'],
      ['aaaaaaaaaaaa:ERROR:error', 'cccccccccccc:CANCELLED:info'],
      []
    ]);
    expect(state.active.size).toBe(0);
  });

  it('does not notify on QUEUED -> RUNNING', () => {
    expect(run([job('aaaaaaaaaaaa', 'QUEUED')], [job('aaaaaaaaaaaa', 'RUNNING')]).notices).toEqual([[], []]);
  });

  it('notifies for a job submitted after the page loaded that finished between two polls', () => {
    const { notices } = run(
      [job('aaaaaaaaaaaa', 'DONE', T0)],
      [job('bbbbbbbbbbbb', 'DONE', T1), job('aaaaaaaaaaaa', 'DONE', T0)],
      [job('bbbbbbbbbbbb', 'DONE', T1), job('aaaaaaaaaaaa', 'DONE', T0)]
    );
    expect(notices).toEqual([[], ['bbbbbbbbbbbb:DONE:success'], []]);
  });

  it('treats every job as new when the store was empty at page load', () => {
    const { notices } = run([], [job('aaaaaaaaaaaa', 'ERROR', T2)]);
    expect(notices).toEqual([[], ['aaaaaaaaaaaa:ERROR:error']]);
  });

  it('keeps following active jobs missing from a snapshot, and forgets gone ones', () => {
    let { state } = computeTransitions(emptyWatchState(), [job('aaaaaaaaaaaa', 'RUNNING')]);
    ({ state } = computeTransitions(state, []));
    expect(state.active.has('aaaaaaaaaaaa')).toBe(true);
    const later = computeTransitions(state, [job('aaaaaaaaaaaa', 'DONE')]);
    expect(later.notices.map(n => n.id)).toEqual(['aaaaaaaaaaaa']);
    const gone = computeTransitions(state, [], ['aaaaaaaaaaaa']);
    expect(gone.state.active.size).toBe(0);
    expect(gone.notices).toEqual([]);
  });

  it('does not mutate the previous state', () => {
    const first = computeTransitions(emptyWatchState(), [job('aaaaaaaaaaaa', 'RUNNING')]).state;
    computeTransitions(first, [job('aaaaaaaaaaaa', 'DONE')]);
    expect(first.active.get('aaaaaaaaaaaa')).toBe('RUNNING');
  });
});

describe('messages', () => {
  it('names the job, its id and backend', () => {
    expect(noticeFor(makeJob({ id: '3f2a9c1b7d4e', name: 'bell', status: 'DONE' }))!.message).toBe(
      'Job bell (3f2a9c1b7d4e) finished on aer'
    );
    expect(noticeFor(makeJob({ id: '3f2a9c1b7d4e', name: null, status: 'CANCELLED' }))!.message).toBe(
      'Job 3f2a9c1b7d4e was cancelled on aer'
    );
    expect(
      noticeFor(makeJob({ id: '3f2a9c1b7d4e', status: 'ERROR', error: 'QiskitError: too wide\nTraceback...' }))!
        .message
    ).toBe('Job bell (3f2a9c1b7d4e) failed on aer: QiskitError: too wide');
    expect(noticeFor(makeJob({ status: 'RUNNING' }))).toBeNull();
  });

  it('summarizes a burst', () => {
    const notices = ['DONE', 'DONE', 'ERROR', 'CANCELLED'].map(s => noticeFor(makeJob({ status: s as JobStatus }))!);
    expect(summarizeNotices(notices)).toEqual({
      kind: 'error',
      message: '4 quantum jobs finished: 2 done, 1 failed, 1 cancelled'
    });
  });
});

describe('JobWatcher.check', () => {
  function fakeServer(initial: IJob[]) {
    const store = new Map(initial.map(j => [j.id, j]));
    const requests: string[] = [];
    const listJobs = jest.fn(async (o: IListJobsOptions) => {
      requests.push(`list:${o.status ?? '*'}`);
      let jobs = [...store.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
      if (o.status) {
        jobs = jobs.filter(j => j.status === o.status);
      }
      return { jobs: jobs.slice(o.offset ?? 0, (o.offset ?? 0) + (o.limit ?? 50)), total: jobs.length };
    });
    const getJob = jest.fn(async (id: string) => {
      requests.push(`get:${id}`);
      const found = store.get(id);
      if (!found) {
        throw Object.assign(new Error('not found'), { status: 404 });
      }
      return found;
    });
    return { store, requests, listJobs, getJob };
  }

  it('reports jobs that finish, including ones outside the recent window', async () => {
    const server = fakeServer([
      job('000000000001', 'RUNNING', '2026-11-21T01:00:00.000Z'),
      job('000000000002', 'DONE', '2026-11-21T02:00:00.000Z'),
      job('000000000003', 'QUEUED', '2026-11-21T03:00:00.000Z')
    ]);
    const watcher = new JobWatcher({ listJobs: server.listJobs, getJob: server.getJob, recent: 2 });
    expect(await watcher.check()).toEqual([]);
    expect(watcher.state.active.size).toBe(2);

    // the old running job (not among the 2 most recent) finishes with an error
    server.store.set('000000000001', job('000000000001', 'ERROR', '2026-11-21T01:00:00.000Z'));
    server.requests.length = 0;
    const notices = await watcher.check();
    expect(notices.map(n => n.message)).toEqual(['Job bell (000000000001) failed on aer: AerError: simulation failed']);
    expect(server.requests).toEqual(['list:*', 'list:QUEUED', 'list:RUNNING', 'get:000000000001']);

    // quiet check: only the recent list is needed
    server.requests.length = 0;
    expect(await watcher.check()).toEqual([]);
    expect(server.requests).toEqual(['list:*']);

    // a new job submitted and finished between checks
    server.store.set('000000000004', job('000000000004', 'DONE', '2026-11-21T04:00:00.000Z'));
    server.store.set('000000000003', job('000000000003', 'CANCELLED', '2026-11-21T03:00:00.000Z'));
    expect((await watcher.check()).map(n => `${n.id}:${n.status}`)).toEqual([
      '000000000004:DONE',
      '000000000003:CANCELLED'
    ]);
  });

  it('uses the recent list it is given instead of fetching it', async () => {
    const server = fakeServer([job('000000000001', 'RUNNING')]);
    const watcher = new JobWatcher({ listJobs: server.listJobs, getJob: server.getJob });
    expect(watcher.recentQuery).toEqual({ limit: 50, offset: 0 });
    await watcher.check();
    server.requests.length = 0;
    const given = { jobs: [job('000000000001', 'DONE')], total: 1 };
    expect((await watcher.check(given)).map(n => n.id)).toEqual(['000000000001']);
    expect(server.requests).toEqual([]);
  });

  it('forgets a followed job the server no longer knows', async () => {
    const server = fakeServer([job('000000000001', 'RUNNING')]);
    const watcher = new JobWatcher({ listJobs: server.listJobs, getJob: server.getJob });
    await watcher.check();
    server.store.delete('000000000001');
    expect(await watcher.check()).toEqual([]);
    expect(watcher.state.active.size).toBe(0);
  });

  it('lets API errors through (so the poll backs off) without changing state', async () => {
    const watcher = new JobWatcher({
      listJobs: async () => {
        throw new Error('HTTP 500');
      },
      getJob: jest.fn()
    });
    await expect(watcher.check()).rejects.toThrow('HTTP 500');
    expect(watcher.state.initialized).toBe(false);
  });
});
