// JobsModel against a fake qnb server behind real ServerConnection settings.
// Long intervals: a tick only runs when the test asks for one.
import { Poll } from '@lumino/polling';

import type { IJob, JobStatus } from '../job';
import {
  HIDDEN_INTERVAL,
  isFiltered,
  JobsModel,
  lastPageOffset,
  MAX_PAGE_SIZE,
  NO_FILTERS,
  PUSH_MIN_GAP,
  PUSHED_INTERVAL,
  VISIBLE_INTERVAL
} from '../model';
import type { IJobNotice } from '../watcher';
import { makeJob } from './fixtures/jobs';
import { FakeServer } from './fixtures/server';

const QUIET = 60 * 60 * 1000;

/** `n` jobs, newest first, created one second apart. */
function jobs(n: number, status: JobStatus = 'DONE', extra: Partial<IJob> = {}): IJob[] {
  return Array.from({ length: n }, (_, i) =>
    makeJob({
      id: (0xa00000000000 + i).toString(16),
      status,
      created_at: new Date(Date.UTC(2026, 10, 21, 4, 30, 0) - i * 1000).toISOString(),
      ...extra
    })
  );
}

/** Let the timers due now run (the poll schedules its tick's timer a microtask late). */
async function nextTask(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('JobsModel', () => {
  let server: FakeServer;
  let model: JobsModel;
  let finished: IJobNotice[][];

  /** A model over `initial`, shown, after its first tick; the requests so far forgotten. */
  async function start(initial: IJob[], options: Partial<JobsModel.IOptions> = {}): Promise<void> {
    server = new FakeServer(initial);
    model = new JobsModel({ settings: server.settings, interval: QUIET, hiddenInterval: QUIET, ...options });
    finished = [];
    model.jobsFinished.connect((_, notices) => finished.push([...notices]));
    model.visible = true;
    await model.poll.tick;
    server.take();
  }

  afterEach(() => {
    model.dispose();
    setVisibility('visible');
  });

  it('polls every 0.5 s while visible and every 2 s while hidden, backing off on errors', () => {
    model = new JobsModel({ settings: new FakeServer().settings });
    expect([VISIBLE_INTERVAL, HIDDEN_INTERVAL]).toEqual([500, 2000]);
    expect(model.poll.frequency).toMatchObject({ interval: HIDDEN_INTERVAL, backoff: true });
    model.visible = true;
    expect(model.poll.frequency).toMatchObject({ interval: VISIBLE_INTERVAL, backoff: true });
    model.visible = false;
    expect(model.poll.frequency.interval).toBe(HIDDEN_INTERVAL);
  });

  it('polls only as a safety net while changes are pushed, and at once when the feed goes', async () => {
    await start(jobs(2), { interval: VISIBLE_INTERVAL });
    model.pushed = true;
    expect(model.poll.frequency.interval).toBe(PUSHED_INTERVAL);
    model.pushed = false;
    expect(model.poll.frequency.interval).toBe(VISIBLE_INTERVAL);
    await model.poll.tick; // changes missed while the feed was down are fetched at once
    expect(server.take().filter(r => r.startsWith('GET jobs'))).toEqual(['GET jobs?limit=50&offset=0']);
  });

  it('fetches soon after a pushed change, once for a burst of them', async () => {
    await start(jobs(2));
    model.pushed = true;
    server.put(jobs(3)[2]);
    for (let i = 0; i < 20; i++) {
      model.changesPushed();
    }
    await new Promise(resolve => setTimeout(resolve, 20));
    await nextTask();
    expect(model.page!.total).toBe(3);
    expect(server.take().filter(r => r.startsWith('GET jobs'))).toEqual(['GET jobs?limit=50&offset=0']);
    model.changesPushed(); // the next one waits out the gap, then fetches once more
    await new Promise(resolve => setTimeout(resolve, 20));
    await nextTask();
    expect(server.take().filter(r => r.startsWith('GET jobs'))).toEqual([]);
    await new Promise(resolve => setTimeout(resolve, PUSH_MIN_GAP));
    await nextTask();
    expect(server.take().filter(r => r.startsWith('GET jobs'))).toHaveLength(1);
  });

  it('shows the first page, and asks for nothing else on a quiet tick', async () => {
    await start(jobs(3));
    expect(model.page).toMatchObject({ offset: 0, limit: 50, total: 3 });
    expect(model.page!.jobs.map(j => j.id)).toEqual(jobs(3).map(j => j.id));
    expect(model.pageIsCurrent).toBe(true);
    expect(model.backends.map(b => b.name)).toEqual(['aer']);
    await model.refresh();
    // the unfiltered first page doubles as the watcher's list of recent jobs
    expect(server.take().filter(r => r.startsWith('GET jobs'))).toEqual(['GET jobs?limit=50&offset=0']);
  });

  it('puts the filters into the request, and goes back to the first page', async () => {
    await start(jobs(120));
    model.nextPage();
    await model.poll.tick;
    expect(model.page!.offset).toBe(50);
    server.take();

    const changed = jest.fn();
    model.changed.connect(changed);
    model.setFilters({ status: 'DONE', backend: 'aer' });
    expect(model.filters).toEqual({ ...NO_FILTERS, status: 'DONE', backend: 'aer' });
    expect(model.pageIsCurrent).toBe(false);
    expect(changed).toHaveBeenCalled();
    await model.poll.tick;
    expect(server.take()).toEqual(['GET jobs?status=DONE&backend=aer&limit=50&offset=0', 'GET jobs?limit=50&offset=0']);
    expect(model.page).toMatchObject({ offset: 0, total: 120 });

    model.setFilters({ status: 'RUNNING' });
    await model.poll.tick;
    expect(server.take()[0]).toBe('GET jobs?status=RUNNING&backend=aer&limit=50&offset=0');
    expect(model.page).toMatchObject({ jobs: [], total: 0 });

    model.setFilters({ status: null, backend: null });
    await model.poll.tick;
    expect(server.take()).toEqual(['GET jobs?limit=50&offset=0']);
  });

  it('filters by session like the other filters: first page, at once, with session= only while set', async () => {
    const SESSION = '0123456789ab';
    const all = [...jobs(60, 'DONE', { session: SESSION }), ...jobs(3, 'RUNNING')].map((job, i) => ({
      ...job,
      id: (0xb00000000000 + i).toString(16)
    }));
    await start(all);
    expect(model.filters).toEqual(NO_FILTERS);
    model.nextPage();
    await model.poll.tick;
    expect(model.page!.offset).toBe(50);
    server.take();

    const changed = jest.fn();
    model.changed.connect(changed);
    model.setFilters({ session: SESSION });
    expect(model.filters).toEqual({ ...NO_FILTERS, session: SESSION });
    expect(changed).toHaveBeenCalledTimes(1);
    expect(model.pageIsCurrent).toBe(false);
    await model.poll.tick;
    // the filtered page, then the watcher's own (unfiltered) list of recent jobs
    expect(server.take()).toEqual([`GET jobs?session=${SESSION}&limit=50&offset=0`, 'GET jobs?limit=50&offset=0']);
    expect(model.page).toMatchObject({ offset: 0, total: 60 });
    expect(model.page!.jobs.every(j => j.session === SESSION)).toBe(true);

    model.setFilters({ session: SESSION }); // no change: no tick
    expect(changed).toHaveBeenCalledTimes(2); // (the tick's)

    model.nextPage();
    await model.poll.tick;
    expect(server.take()[0]).toBe(`GET jobs?session=${SESSION}&limit=50&offset=50`);
    model.setFilters({ status: 'DONE' });
    await model.poll.tick;
    expect(server.take()[0]).toBe(`GET jobs?status=DONE&session=${SESSION}&limit=50&offset=0`);

    model.setFilters({ status: null, session: null });
    expect(model.filters.session).toBeNull();
    await model.poll.tick;
    expect(server.take()).toEqual(['GET jobs?limit=50&offset=0']);
    expect(model.page).toMatchObject({ offset: 0, total: 63 });
  });

  it('searches and filters by tag: q= and tag= in the request, back to the first page', async () => {
    const tagged = jobs(60, 'DONE', { tags: ['sweep-7', 'h2'] });
    const others = jobs(5, 'DONE', { name: 'ghz' }).map((job, i) => ({ ...job, id: (0xc00000000000 + i).toString(16) }));
    await start([...tagged, ...others]);
    model.nextPage();
    await model.poll.tick;
    expect(model.page!.offset).toBe(50);
    server.take();

    const changed = jest.fn();
    model.changed.connect(changed);
    model.setFilters({ tag: 'sweep-7' });
    expect(model.filters).toEqual({ ...NO_FILTERS, tag: 'sweep-7' });
    expect(model.pageIsCurrent).toBe(false);
    expect(changed).toHaveBeenCalledTimes(1);
    await model.poll.tick;
    // the filtered page, then the watcher's own (unfiltered) list of recent jobs
    expect(server.take()).toEqual(['GET jobs?tag=sweep-7&limit=50&offset=0', 'GET jobs?limit=50&offset=0']);
    expect(model.page).toMatchObject({ offset: 0, total: 60 });

    model.nextPage();
    await model.poll.tick;
    expect(server.take()[0]).toBe('GET jobs?tag=sweep-7&limit=50&offset=50');
    // a search (trimmed) goes back to the first page too, keeping the tag
    model.setFilters({ q: '  bell ' });
    expect(model.filters.q).toBe('bell');
    await model.poll.tick;
    expect(server.take()[0]).toBe('GET jobs?tag=sweep-7&q=bell&limit=50&offset=0');
    expect(model.page).toMatchObject({ offset: 0, total: 60 });

    model.setFilters({ q: 'bell' }); // no change: no tick
    model.setFilters({ q: ' bell' });
    expect(server.take()).toEqual([]);

    model.setFilters({ tag: null, q: 'ghz' });
    await model.poll.tick;
    expect(server.take()[0]).toBe('GET jobs?q=ghz&limit=50&offset=0');
    expect(model.page).toMatchObject({ offset: 0, total: 5 });

    model.setFilters({ q: '   ' }); // blank: no search
    expect(model.filters).toEqual(NO_FILTERS);
    await model.poll.tick;
    expect(server.take()).toEqual(['GET jobs?limit=50&offset=0']);
    expect(model.page!.total).toBe(65);
  });

  it('counts search and tag as filters', () => {
    expect(isFiltered(NO_FILTERS)).toBe(false);
    expect(isFiltered({ q: 'bell' })).toBe(true);
    expect(isFiltered({ tag: 'sweep-7' })).toBe(true);
    expect(isFiltered({ q: '', tag: null })).toBe(false);
  });

  it('exports the jobs of its filters (every page) as CSV', async () => {
    await start([...jobs(60, 'DONE', { tags: ['sweep-7'] }), makeJob({ id: 'c00000000001', status: 'DONE' })]);
    model.setFilters({ tag: 'sweep-7', q: 'bell' });
    await model.poll.tick;
    model.nextPage();
    await model.poll.tick;
    expect(model.page).toMatchObject({ offset: 50, total: 60 });
    server.take();
    const states: boolean[] = [];
    model.changed.connect(() => states.push(model.exporting));
    const exporting = model.exportCsv();
    expect(model.exporting).toBe(true);
    const blob = await exporting;
    expect(model.exporting).toBe(false);
    expect(states).toEqual([true, false]);
    expect(server.take()).toEqual(['GET jobs.csv?tag=sweep-7&q=bell']);
    expect(blob.type).toBe('text/csv');
    const text = await new Promise<string>(resolve => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as string);
      reader.readAsText(blob);
    });
    expect(text.trim().split('\n')).toHaveLength(61); // the header and every tagged job, not a page

    server.failWith = 500;
    await expect(model.exportCsv()).rejects.toMatchObject({ status: 500, message: 'the store is locked' });
    expect(model.exporting).toBe(false);
  });

  it('drops the answers of a tick overtaken by a change of session', async () => {
    await start([...jobs(2), makeJob({ id: 'c00000000001', session: '0123456789ab' })]);
    let open!: () => void;
    server.gate = new Promise(resolve => (open = resolve));
    const overtaken = model.refresh();
    await nextTask(); // the tick is waiting for its page
    model.setFilters({ session: '0123456789ab' });
    const current: number[] = [];
    model.changed.connect(() => model.pageIsCurrent && current.push(model.page!.total));
    server.gate = null;
    open();
    await overtaken;
    await nextTask();
    expect(current).toEqual([1]);
    expect(model.page!.jobs.map(j => j.id)).toEqual(['c00000000001']);
  });

  it('fetches the window the list scrolled to, within the API limit, once per change', async () => {
    await start(jobs(700), { pageSize: 50 });
    model.setWindow(430, 90);
    await model.poll.tick;
    expect(model.page!.offset).toBe(430);
    expect(model.page!.jobs.map(j => j.id)[0]).toBe((0xa00000000000 + 430).toString(16));
    expect(model.page!.jobs).toHaveLength(90);
    expect(model.pageSize).toBe(90);
    const changed = jest.fn();
    model.changed.connect(changed);
    model.setWindow(430, 90); // already shown: nothing to fetch
    expect(changed).not.toHaveBeenCalled();
    model.setWindow(-5, 10_000);
    await model.poll.tick;
    expect(model.pageSize).toBe(MAX_PAGE_SIZE);
    // the watcher asks for the 50 newest itself only while the window does not hold them
    expect(server.take().filter(r => r.startsWith('GET jobs?limit'))).toEqual([
      'GET jobs?limit=90&offset=430',
      'GET jobs?limit=50&offset=0',
      `GET jobs?limit=${MAX_PAGE_SIZE}&offset=0`
    ]);
  });

  it('pages through the jobs, and moves to the last page when its page is gone', async () => {
    await start(jobs(120), { pageSize: 50 });
    const offsets: number[] = [];
    for (const step of [() => model.nextPage(), () => model.nextPage(), () => model.previousPage()]) {
      step();
      await model.poll.tick;
      offsets.push(model.page!.offset);
    }
    expect(offsets).toEqual([50, 100, 50]);
    model.previousPage();
    model.previousPage(); // already on the first page: no tick
    await model.poll.tick;
    model.nextPage();
    await model.poll.tick;
    model.nextPage();
    await model.poll.tick;
    const changed = jest.fn();
    model.changed.connect(changed);
    model.nextPage(); // already on the last page
    expect(changed).not.toHaveBeenCalled();
    expect(server.take().filter(r => r.startsWith('GET jobs?limit'))).toEqual([
      'GET jobs?limit=50&offset=50',
      'GET jobs?limit=50&offset=0',
      'GET jobs?limit=50&offset=100',
      'GET jobs?limit=50&offset=0',
      'GET jobs?limit=50&offset=50',
      'GET jobs?limit=50&offset=0',
      'GET jobs?limit=50&offset=0', // the first page is also the recent list: one request
      'GET jobs?limit=50&offset=50',
      'GET jobs?limit=50&offset=0',
      'GET jobs?limit=50&offset=100',
      'GET jobs?limit=50&offset=0'
    ]);

    expect(model.page!.offset).toBe(100);
    for (const job of jobs(120).slice(40)) {
      server.jobs.delete(job.id);
    }
    await model.refresh();
    expect(model.page).toMatchObject({ offset: lastPageOffset(40, 50), total: 40 });
    expect(model.page!.jobs).toHaveLength(40);
  });

  it('notifies once when a job moves from RUNNING to DONE between two ticks', async () => {
    const [running] = jobs(1, 'RUNNING');
    await start([running, ...jobs(2, 'DONE', { created_at: '2026-11-20T00:00:00.000Z' })]);
    expect(finished).toEqual([]);

    server.put({ ...running, status: 'DONE', finished_at: '2026-11-21T04:31:00.000Z' });
    await model.refresh();
    expect(finished.map(batch => batch.map(n => `${n.id}:${n.status}:${n.kind}`))).toEqual([
      [`${running.id}:DONE:success`]
    ]);
    expect(finished[0][0].message).toBe(`Job bell (${running.id}) finished on aer`);

    await model.refresh();
    await model.refresh();
    expect(finished).toHaveLength(1);
  });

  it('drops the answers of a tick overtaken by a change of filters', async () => {
    await start(jobs(3));
    let open!: () => void;
    server.gate = new Promise(resolve => (open = resolve));
    const overtaken = model.refresh();
    await nextTask(); // the tick is waiting for its page
    model.setFilters({ status: 'RUNNING' });
    const current: number[] = []; // the totals of the pages the model calls current
    model.changed.connect(() => model.pageIsCurrent && current.push(model.page!.total));
    server.gate = null;
    open(); // the old page arrives before the new tick starts
    await overtaken;
    await nextTask();
    expect(server.take().filter(r => r.startsWith('GET jobs?'))).toEqual([
      'GET jobs?limit=50&offset=0',
      'GET jobs?status=RUNNING&limit=50&offset=0',
      'GET jobs?limit=50&offset=0'
    ]);
    expect(current).toEqual([0]);
  });

  it('reports a finished job once, also when an older answer arrives late', async () => {
    const [running] = jobs(1, 'RUNNING');
    await start([running]);
    model.visible = false;
    const opens: Array<() => void> = [];
    const closeGate = (): void => {
      server.gate = new Promise(resolve => opens.push(resolve));
    };
    closeGate();
    const first = model.refresh();
    await nextTask(); // its answer says RUNNING
    server.put({ ...running, status: 'DONE' });
    closeGate();
    const second = model.refresh();
    await nextTask();
    server.gate = null;
    opens[1]();
    await nextTask();
    opens[0]();
    await Promise.all([first, second]);
    await model.refresh();
    expect(finished.map(batch => batch.map(n => n.id))).toEqual([[running.id]]);
  });

  it('keeps notifying while the panel is hidden, with no page requests', async () => {
    const [running] = jobs(1, 'RUNNING');
    await start([running]);
    model.visible = false;
    server.put({ ...running, status: 'ERROR', error: 'AerError: out of memory' });
    await model.refresh();
    expect(finished.map(batch => batch.map(n => n.kind))).toEqual([['error']]);
    // only the watcher's list of recent jobs (and the backends a refresh reloads)
    expect(server.take().filter(r => r !== 'GET backends')).toEqual(['GET jobs?limit=50&offset=0']);
  });

  it('stands by while the page is hidden', async () => {
    await start(jobs(2, 'RUNNING'));
    model.visible = false;
    setVisibility('hidden');
    await model.refresh(); // the poll lingers for one tick
    server.take();
    await model.refresh();
    expect(model.poll.state.phase).toBe('standby');
    expect(server.take().filter(r => r !== 'GET backends')).toEqual([]);

    setVisibility('visible');
    model.visible = true;
    await model.poll.tick;
    expect(model.poll.state.phase).not.toBe('standby');
    expect(server.take()).toContain('GET jobs?limit=50&offset=0');
  });

  it('keeps watching while the page is hidden when desktop notifications want it', async () => {
    await start(jobs(2, 'RUNNING'));
    model.watchWhenHidden = true;
    model.visible = false;
    setVisibility('hidden');
    await model.refresh();
    server.put({ ...jobs(2, 'RUNNING')[0], status: 'DONE', finished_at: '2026-11-21T04:31:00.000Z' });
    await model.refresh();
    expect(model.poll.state.phase).not.toBe('standby');
    expect(finished.map(batch => batch.map(n => n.status))).toEqual([['DONE']]);
  });

  it('shows the selected job, and does not ask again for a finished one', async () => {
    const [done] = jobs(1, 'DONE', { counts: [{ '00': 510, '11': 490 }] });
    await start([done]);
    model.select(done.id);
    expect(model.selectedId).toBe(done.id);
    expect(model.selectedJob).toBeNull();
    await model.poll.tick;
    expect(model.selectedJob!.counts).toEqual([{ '00': 510, '11': 490 }]);
    expect(server.take()).toEqual([`GET jobs/${done.id}`, 'GET jobs?limit=50&offset=0']);

    await (model.poll as Poll<void, unknown, 'standby'>).schedule({ interval: 0, phase: 'resolved' }); // a timed tick
    await model.poll.tick;
    expect(server.take()).toEqual(['GET jobs?limit=50&offset=0']);

    model.select('000000000000');
    await model.poll.tick;
    expect(model.selectedMissing).toBe(true);

    model.select(null);
    await model.poll.tick;
    expect(model.selectedId).toBeNull();
    expect(server.take()).toContain('GET jobs?limit=50&offset=0');
  });

  it('cancels the selected job and refreshes it', async () => {
    const [running] = jobs(1, 'RUNNING');
    await start([running]);
    model.select(running.id);
    await model.poll.tick;
    expect(model.canCancelSelected).toBe(true);

    const cancelling = model.cancel(running.id);
    expect(model.isCancelling(running.id)).toBe(true);
    expect(model.canCancelSelected).toBe(false);
    await cancelling;
    expect(model.isCancelling(running.id)).toBe(false);
    await model.poll.tick;
    expect(model.selectedJob!.cancel_requested).toBe(true);
    expect(model.canCancelSelected).toBe(false);
    expect(server.take()).toContain(`POST jobs/${running.id}/cancel`);

    server.put({ ...running, status: 'DONE' });
    await expect(model.cancel(running.id)).rejects.toMatchObject({ status: 409 });
  });

  it('records an error, lets the poll back off, and clears the error once through', async () => {
    await start(jobs(1));
    server.failWith = 500;
    await model.refresh();
    expect(model.poll.state.phase).toBe('rejected');
    expect(model.error!.message).toBe('the store is locked');
    server.failWith = null;
    await model.refresh();
    expect(model.error).toBeNull();
  });
});
