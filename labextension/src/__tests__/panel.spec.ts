// The sidebar over a JobsModel and a fake server: the DOM hooks the browser
// tests (tests/test_browser.py) rely on, and what a click does.
import { Notification } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { REVOKE_DELAY, saveBlob } from '../download';
import type { IJob } from '../job';
import { JobsModel } from '../model';
import { JobsPanel, PANEL_ID } from '../panel';
import { makeJob } from './fixtures/jobs';
import { FakeServer } from './fixtures/server';

const QUIET = 60 * 60 * 1000;

describe('JobsPanel', () => {
  let server: FakeServer;
  let model: JobsModel;
  let panel: JobsPanel;
  let options: { copy: jest.Mock; openInNotebook: jest.Mock };

  const $ = <T extends Element = HTMLElement>(selector: string): T | null => panel.node.querySelector<T>(selector);
  const rows = (): string[] =>
    Array.from(panel.node.querySelectorAll<HTMLElement>('tr.qnb-JobRow')).map(
      r => `${r.dataset.jobId}:${r.dataset.status}`
    );
  const isShown = (selector: string): boolean => !$(selector)!.closest('.lm-mod-hidden, [hidden]');

  async function open(jobs: IJob[]): Promise<void> {
    server = new FakeServer(jobs);
    model = new JobsModel({ settings: server.settings, interval: QUIET, hiddenInterval: QUIET });
    options = { copy: jest.fn(), openInNotebook: jest.fn() };
    panel = new JobsPanel({ model, ...options });
    Widget.attach(panel, document.body);
    await model.poll.tick;
  }

  afterEach(() => {
    panel.dispose();
    model.dispose();
    jest.restoreAllMocks();
  });

  const done = makeJob({ id: 'd00000000001', status: 'DONE', counts: [{ '00': 510, '11': 490 }] });
  const running = makeJob({ id: 'r00000000001', status: 'RUNNING', created_at: '2026-11-21T04:31:00.000Z' });

  it('sums up the last 30 days of the usage ledger under the list, and keeps it open', async () => {
    await open([done]);
    server.usage = [
      { group: 'ibm', jobs: 1, shots: 4000, circuits: 1, queue_seconds: 60, run_seconds: 10, qpu_seconds: 7.5, cost_estimate: 12 }
    ];
    await model.loadUsage();
    const line = (): string => $('.qnb-UsageView .qnb-Usage summary')!.textContent!;
    expect(line()).toBe('Usage, last 30 days: 1 job · 4,000 shots · 7.5 s QPU · ~$12.00 (estimate)');
    $<HTMLDetailsElement>('.qnb-Usage')!.open = true;
    server.usage = [...server.usage, { ...(server.usage[0] as object), group: 'aer', qpu_seconds: null, cost_estimate: null }];
    await model.loadUsage();
    expect(line()).toContain('2 jobs');
    expect($<HTMLDetailsElement>('.qnb-Usage')!.open).toBe(true); // a refresh does not fold it
    expect(panel.node.querySelectorAll('.qnb-UsageTable tr')).toHaveLength(4); // head, 2 backends, total
  });

  it('lists the jobs with their status, paged, and tells the model it is visible', async () => {
    await open([done, running]);
    expect(panel.id).toBe(PANEL_ID);
    expect(panel.hasClass('qnb-JobsPanel')).toBe(true);
    expect(model.visible).toBe(true);
    expect(rows()).toEqual(['r00000000001:RUNNING', 'd00000000001:DONE']);
    expect($('tr.qnb-JobRow[data-status="DONE"] .qnb-Status.qnb-mod-done')).not.toBeNull();
    expect($('.qnb-PageRange')!.textContent).toBe('1–2 of 2');
    expect(isShown('.qnb-Empty')).toBe(false);
    expect($('.jp-SidePanel-header')!.textContent).toBe('Quantum Jobs');

    panel.hide();
    expect(model.visible).toBe(false);
    panel.show();
    expect(model.visible).toBe(true);
  });

  it('filters by status from its select, and says when nothing matches', async () => {
    await open([done, running]);
    const select = $<HTMLSelectElement>('select.qnb-StatusFilter')!;
    select.value = 'DONE';
    select.dispatchEvent(new Event('change'));
    await model.poll.tick;
    expect(rows()).toEqual(['d00000000001:DONE']);
    expect(server.requests).toContain('GET jobs?status=DONE&limit=50&offset=0');

    select.value = 'CANCELLED';
    select.dispatchEvent(new Event('change'));
    await model.poll.tick;
    expect(rows()).toEqual([]);
    expect(isShown('.qnb-Empty')).toBe(true);
    expect($('.qnb-Empty')!.textContent).toBe('No jobs match these filters.');
    expect($('.qnb-PageRange')!.textContent).toBe('0 of 0');
  });

  it('stands for the jobs outside its window with spacers, so the scrollbar spans them all', async () => {
    const many = Array.from({ length: 120 }, (_, i) => makeJob({ id: (0xb00000000000 + i).toString(16), status: 'DONE' }));
    await open(many);
    const spacers = Array.from(panel.node.querySelectorAll<HTMLElement>('table.qnb-JobTable tbody.qnb-Spacer td'));
    expect(spacers).toHaveLength(2);
    expect(rows()).toHaveLength(50); // the window, not all 120
    // no layout here: the rows' height is the default estimate (26 px) until measured
    expect(spacers.map(td => td.style.height)).toEqual(['0px', `${70 * 26}px`]);
    model.nextPage();
    await model.poll.tick;
    expect(rows()).toHaveLength(50);
    expect(spacers.map(td => td.style.height)).toEqual([`${50 * 26}px`, `${20 * 26}px`]);
    expect($('.qnb-PageRange')!.textContent).toBe('51–100 of 120');
  });

  it('filters by the session of a clicked marker, on the first page, until its chip is cleared', async () => {
    const SESSION = '0123456789ab';
    const at = (i: number): string => new Date(Date.UTC(2026, 10, 21, 4, 0, 0) - i * 1000).toISOString();
    const others = [0, 1, 2].map(i => makeJob({ id: `e0000000000${i}`, status: 'DONE', created_at: at(i) }));
    const ofSession = Array.from({ length: 52 }, (_, i) =>
      makeJob({ id: (0xf00000000000 + i).toString(16), status: 'DONE', session: SESSION, created_at: at(10 + i) })
    );
    await open([...others, ...ofSession]);
    const chip = (): HTMLElement | null => $('.qnb-Toolbar .qnb-SessionFilter');
    expect(isShown('.qnb-SessionFilter')).toBe(false);
    model.nextPage();
    await model.poll.tick;
    expect($('.qnb-PageRange')!.textContent).toBe('51–55 of 55');
    server.take();

    const row = $('tr.qnb-JobRow[data-job-id="f00000000033"]')!;
    row.querySelector<HTMLElement>('.qnb-SessionMarker')!.click();
    expect(model.filters.session).toBe(SESSION);
    expect(model.selectedId).toBeNull(); // the marker does not open its row
    await model.poll.tick;
    expect(server.take()[0]).toBe(`GET jobs?session=${SESSION}&limit=50&offset=0`);
    expect($('.qnb-PageRange')!.textContent).toBe('1–50 of 52');
    expect(isShown('.qnb-ListView')).toBe(true);
    expect(isShown('.qnb-SessionFilter')).toBe(true);
    expect(chip()!.dataset.session).toBe(SESSION);
    expect(chip()!.textContent).toBe(`session ${SESSION}×`);

    $<HTMLButtonElement>('button.qnb-ClearSessionFilter[aria-label="Show jobs of every session"]')!.click();
    expect(model.filters.session).toBeNull();
    await model.poll.tick;
    const requests = server.take();
    expect(requests[0]).toBe('GET jobs?limit=50&offset=0');
    expect(requests.some(r => r.includes('session='))).toBe(false);
    expect(isShown('.qnb-SessionFilter')).toBe(false);
    expect($('.qnb-PageRange')!.textContent).toBe('1–50 of 55');
  });

  it('filters by session from the chip in the details, back in the list', async () => {
    const inSession = makeJob({ id: 'f00000000001', status: 'DONE', session: '0123456789ab' });
    await open([done, running, inSession]);
    model.select(inSession.id);
    await model.poll.tick;
    $<HTMLButtonElement>('.qnb-JobDetails button.qnb-SessionChip')!.click();
    await model.poll.tick;
    expect(model.filters.session).toBe('0123456789ab');
    expect(isShown('.qnb-ListView')).toBe(true);
    expect(rows()).toEqual(['f00000000001:DONE']);
    expect(server.requests).toContain('GET jobs?session=0123456789ab&limit=50&offset=0');
    expect($('.qnb-SessionFilter')!.dataset.session).toBe('0123456789ab');
  });

  it('filters by the tag of a clicked chip, on the first page, until its chip is cleared', async () => {
    const at = (i: number): string => new Date(Date.UTC(2026, 10, 21, 4, 0, 0) - i * 1000).toISOString();
    const tagged = Array.from({ length: 52 }, (_, i) =>
      makeJob({ id: (0xf00000000000 + i).toString(16), status: 'DONE', tags: ['sweep-7', 'h2'], created_at: at(i) })
    );
    const others = [0, 1, 2].map(i => makeJob({ id: `e0000000000${i}`, status: 'DONE', created_at: at(100 + i) }));
    await open([...tagged, ...others]);
    expect(isShown('.qnb-TagFilter')).toBe(false);
    model.nextPage();
    await model.poll.tick;
    server.take();

    const row = $('tr.qnb-JobRow[data-job-id="f00000000033"]')!;
    row.querySelector<HTMLElement>('.qnb-TagChip[data-tag="sweep-7"]')!.click();
    expect(model.filters.tag).toBe('sweep-7');
    expect(model.selectedId).toBeNull(); // the chip does not open its row
    await model.poll.tick;
    expect(server.take()[0]).toBe('GET jobs?tag=sweep-7&limit=50&offset=0');
    expect($('.qnb-PageRange')!.textContent).toBe('1–50 of 52');
    expect(isShown('.qnb-TagFilter')).toBe(true);
    expect($('.qnb-Toolbar .qnb-TagFilter')!.dataset.tag).toBe('sweep-7');

    $<HTMLButtonElement>('button.qnb-ClearTagFilter[aria-label="Show jobs of every tag"]')!.click();
    expect(model.filters.tag).toBeNull();
    await model.poll.tick;
    expect(server.take()[0]).toBe('GET jobs?limit=50&offset=0');
    expect(isShown('.qnb-TagFilter')).toBe(false);
    expect($('.qnb-PageRange')!.textContent).toBe('1–50 of 55');
  });

  it('filters by a tag from the details, back in the list', async () => {
    const tagged = makeJob({ id: 'f00000000001', status: 'DONE', tags: ['sweep-7'] });
    await open([done, running, tagged]);
    model.select(tagged.id);
    await model.poll.tick;
    $<HTMLButtonElement>('.qnb-JobDetails .qnb-TagsField button.qnb-TagChip')!.click();
    await model.poll.tick;
    expect(model.filters.tag).toBe('sweep-7');
    expect(isShown('.qnb-ListView')).toBe(true);
    expect(rows()).toEqual(['f00000000001:DONE']);
  });

  it('searches from its search box, on the first page, and says when nothing matches', async () => {
    const at = (i: number): string => new Date(Date.UTC(2026, 10, 21, 4, 0, 0) - i * 1000).toISOString();
    const id = (i: number): string => (0xa00000000000 + i).toString(16);
    await open(Array.from({ length: 60 }, (_, i) => makeJob({ id: id(i), name: i % 20 ? 'bell' : 'ghz', created_at: at(i) })));
    model.nextPage();
    await model.poll.tick;
    server.take();
    const search = $<HTMLInputElement>('input.qnb-SearchInput[aria-label]')!;
    search.value = ' ghz';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    expect(model.filters.q).toBe('ghz');
    await model.poll.tick;
    expect(server.take()[0]).toBe('GET jobs?q=ghz&limit=50&offset=0');
    expect(rows()).toEqual([0, 20, 40].map(i => `${id(i)}:QUEUED`));

    search.value = 'nothing';
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await model.poll.tick;
    expect(rows()).toEqual([]);
    expect($('.qnb-Empty')!.textContent).toBe('No jobs match these filters.');
    $<HTMLButtonElement>('button.qnb-ClearSearch')!.click();
    await model.poll.tick;
    expect(model.filters.q).toBeNull();
    expect($('.qnb-PageRange')!.textContent).toBe('1–50 of 60');
  });

  describe('Download CSV', () => {
    let created: Blob[];
    let clicked: HTMLAnchorElement[];

    beforeEach(() => {
      created = [];
      clicked = [];
      // jsdom has no object URLs, and a click on a link would navigate
      Object.assign(URL, {
        createObjectURL: jest.fn((blob: Blob) => {
          created.push(blob);
          return 'blob:http://localhost/1234';
        }),
        revokeObjectURL: jest.fn()
      });
      jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
        clicked.push(this);
      });
    });

    const read = (blob: Blob): Promise<string> =>
      new Promise(resolve => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result as string);
        reader.readAsText(blob);
      });

    it('downloads the jobs of the current filters as qnb-jobs.csv', async () => {
      await open([done, running, makeJob({ id: 'f00000000001', status: 'DONE', tags: ['sweep-7'] })]);
      model.setFilters({ status: 'DONE', q: 'bell' });
      await model.poll.tick;
      server.take();
      const exported = new Promise<void>(resolve => model.changed.connect(() => !model.exporting && resolve()));
      const button = $('.qnb-DownloadCsvButton')!; // the toolbar's
      expect(button.getAttribute('aria-label')).toMatch(/^Download CSV/);
      button.click();
      expect(model.exporting).toBe(true);
      await exported;
      for (let i = 0; i < 5 && !clicked.length; i++) {
        await Promise.resolve(); // the save follows the export
      }
      expect(server.take()).toEqual(['GET jobs.csv?status=DONE&q=bell']);
      expect(created).toHaveLength(1);
      expect(created[0].type).toBe('text/csv');
      const [header, ...lines] = (await read(created[0])).trim().split('\n');
      expect(header).toBe('id,name,backend,status,tags');
      expect(lines.sort()).toEqual(['d00000000001,bell,aer,DONE,', 'f00000000001,bell,aer,DONE,sweep-7']);
      expect(clicked).toHaveLength(1);
      expect(clicked[0].download).toBe('qnb-jobs.csv');
      expect(clicked[0].href).toBe('blob:http://localhost/1234');
      expect(clicked[0].isConnected).toBe(false); // the link is gone again
    });

    it('saves a Blob through a temporary link, and releases its URL later', () => {
      jest.useFakeTimers();
      try {
        const blob = new Blob(['id\n'], { type: 'text/csv' });
        saveBlob(blob, 'qnb-jobs.csv');
        expect(created).toEqual([blob]);
        expect(clicked.map(a => [a.download, a.href])).toEqual([['qnb-jobs.csv', 'blob:http://localhost/1234']]);
        expect(document.querySelector('a[download]')).toBeNull();
        expect(URL.revokeObjectURL).not.toHaveBeenCalled();
        jest.advanceTimersByTime(REVOKE_DELAY);
        expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:http://localhost/1234');
      } finally {
        jest.useRealTimers();
      }
    });

    it('shows a failed download as a notification', async () => {
      await open([done]);
      const error = jest.spyOn(Notification, 'error').mockReturnValue('');
      server.failWith = 500;
      await panel.downloadCsv();
      expect(error).toHaveBeenCalledWith('Could not download the jobs as CSV: the store is locked', { autoClose: 8000 });
      expect(clicked).toHaveLength(0);
      expect(model.exporting).toBe(false);
    });
  });

  it('says how to submit a job when there is none', async () => {
    await open([]);
    expect($('.qnb-Empty')!.textContent).toMatch(/^No quantum jobs yet/);
  });

  it('opens the details of a clicked job, with its counts, and goes back', async () => {
    await open([done, running]);
    $<HTMLElement>('tr.qnb-JobRow[data-job-id="d00000000001"] td')!.click();
    expect(isShown('.qnb-DetailsView')).toBe(true);
    expect(isShown('.qnb-ListView')).toBe(false);
    expect($('.qnb-JobDetails.qnb-mod-loading[data-job-id="d00000000001"]')).not.toBeNull();
    await model.poll.tick;
    const details = '.qnb-JobDetails[data-job-id="d00000000001"][data-status="DONE"]';
    expect(panel.node.querySelectorAll(`${details} svg.qnb-Histogram rect.qnb-Bar`)).toHaveLength(2);
    expect($<HTMLButtonElement>(`${details} .qnb-CancelButton`)!.disabled).toBe(true);

    $<HTMLButtonElement>(`${details} .qnb-CopyIdButton`)!.click();
    $<HTMLButtonElement>(`${details} .qnb-OpenInNotebookButton`)!.click();
    expect(options.copy).toHaveBeenCalledWith('d00000000001');
    expect(options.openInNotebook).toHaveBeenCalledWith('d00000000001');

    $<HTMLButtonElement>(`${details} .qnb-BackButton`)!.click();
    await model.poll.tick;
    expect(isShown('.qnb-ListView')).toBe(true);
    expect($('tr.qnb-JobRow.jp-mod-selected')!.dataset.jobId).toBe('d00000000001');
  });

  it('cancels a running job from its details, and shows a refused cancel as a notification', async () => {
    await open([done, running]);
    model.select(running.id);
    await model.poll.tick;
    const cancel = (): HTMLButtonElement => $<HTMLButtonElement>('.qnb-CancelButton')!;
    expect(cancel().disabled).toBe(false);
    cancel().click();
    expect([cancel().disabled, cancel().textContent]).toEqual([true, 'Cancelling…']);
    await model.poll.tick;
    await model.poll.tick;
    expect(server.requests).toContain('POST jobs/r00000000001/cancel');
    expect([cancel().disabled, cancel().textContent]).toEqual([true, 'Cancelling…']); // requested, still running

    const error = jest.spyOn(Notification, 'error').mockReturnValue('');
    server.put({ ...running, status: 'DONE' });
    await panel.cancelJob(running.id);
    expect(error).toHaveBeenCalledWith('Could not cancel job r00000000001: job r00000000001 is already DONE', {
      autoClose: 8000
    });
  });

  it('shows a failed tick in a banner until a tick goes through', async () => {
    await open([done]);
    server.failWith = 500;
    await model.refresh();
    expect(isShown('.qnb-Banner')).toBe(true);
    expect($('.qnb-Banner')!.textContent).toBe('Could not load jobs (HTTP 500): the store is locked');
    server.failWith = null;
    await model.refresh();
    expect(isShown('.qnb-Banner')).toBe(false);
  });
});
