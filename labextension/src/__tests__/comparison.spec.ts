// "Compare": the rows' checkboxes, the bar under the table, the comparison view, and
// the whole flow in the sidebar over a fake server.
import { Widget } from '@lumino/widgets';

import { MAX_COMPARE } from '../compare';
import { ComparisonView, createCompareBar, renderCompareBar } from '../comparison';
import type { IJob } from '../job';
import { JobsModel } from '../model';
import { JobsPanel } from '../panel';
import { createJobTable, renderJobTable } from '../table';
import { makeEstimatorJob, makeJob, PUBS } from './fixtures/jobs';
import { FakeServer } from './fixtures/server';

const NOW = Date.parse('2026-11-21T04:31:00.123Z');
const QUIET = 60 * 60 * 1000;

const check = (row: Element): HTMLInputElement => row.querySelector<HTMLInputElement>('input.qnb-CompareCheck')!;
const tableOf = (view: HTMLElement): string[][] =>
  Array.from(view.querySelectorAll('table.qnb-CompareTable tbody tr')).map(r =>
    Array.from((r as HTMLTableRowElement).cells).map(c => c.textContent ?? '')
  );

describe('row checkboxes', () => {
  const jobs = [
    makeJob({ id: 'aaaaaaaaaaaa', status: 'DONE' }),
    makeJob({ id: 'bbbbbbbbbbbb', status: 'RUNNING' }),
    makeEstimatorJob([PUBS.scalar], { id: 'cccccccccccc' })
  ];

  it('check DONE jobs with counts, without opening the row; others say why they cannot', () => {
    const onOpen = jest.fn();
    const onCheck = jest.fn();
    const checked = new Set<string>();
    const view = createJobTable(onOpen, null, null, { isChecked: id => checked.has(id), onCheck });
    document.body.appendChild(view.table); // a checkbox fires "change" only in a document
    renderJobTable(view, jobs, null, NOW);
    const [a, b, c] = Array.from(view.tbody.rows);
    expect(view.table.classList.contains('qnb-mod-checkable')).toBe(true);
    expect(check(a).getAttribute('aria-label')).toBe('Select bell for comparison');
    expect(check(a).getAttribute('aria-disabled')).toBe('false');
    expect(a.cells[0].textContent).toBe('bell'); // the checkbox adds no text to the name cell

    check(a).click();
    expect(onCheck.mock.calls).toEqual([['aaaaaaaaaaaa', true]]);
    expect(onOpen).not.toHaveBeenCalled();

    // a running job and an Estimator job: focusable, but not checkable, with the reason as tooltip
    expect(check(b).getAttribute('aria-disabled')).toBe('true');
    expect(check(b).title).toBe('Only finished (DONE) jobs can be compared: this one is RUNNING');
    expect(check(c).title).toBe('An Estimator job has expectation values, not counts, to compare');
    expect(check(c).disabled).toBe(false);
    check(b).click();
    check(c).click();
    expect(check(b).checked).toBe(false);
    expect(check(c).checked).toBe(false);
    expect(onCheck).toHaveBeenCalledTimes(1);
    expect(onOpen).not.toHaveBeenCalled();

    // Space on the checkbox is the checkbox's (not the row's Enter/Space, which opens it)
    check(a).dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }));
    expect(onOpen).not.toHaveBeenCalled();

    // the rows show the checked state they are given
    checked.add('aaaaaaaaaaaa');
    renderJobTable(view, [{ ...jobs[0] }, jobs[1], jobs[2]], null, NOW);
    expect(check(a).checked).toBe(true);
    expect(a.classList.contains('qnb-mod-checked')).toBe(true);
    checked.clear();
    renderJobTable(view, jobs, null, NOW);
    expect(check(a).checked).toBe(false);
    view.table.remove();
  });

  it('are hidden in a table without checks', () => {
    const view = createJobTable(jest.fn());
    expect(view.table.classList.contains('qnb-mod-checkable')).toBe(false);
  });
});

describe('compare bar', () => {
  it('counts the checked jobs and enables Compare for 2 to MAX_COMPARE of them', () => {
    const onCompare = jest.fn();
    const onClear = jest.fn();
    const bar = createCompareBar({ onCompare, onClear });
    renderCompareBar(bar, 0);
    expect(bar.toolbar.isHidden).toBe(true);

    renderCompareBar(bar, 1);
    expect(bar.toolbar.isHidden).toBe(false);
    expect(bar.count.textContent).toBe('1 selected');
    expect(bar.compare.disabled).toBe(true);
    expect(bar.compare.title).toBe('Select one more finished job to compare');
    bar.compare.click();
    expect(onCompare).not.toHaveBeenCalled();

    renderCompareBar(bar, 3);
    expect(bar.count.textContent).toBe('3 selected');
    expect(bar.compare.disabled).toBe(false);
    expect(bar.compare.textContent).toBe('Compare');
    bar.compare.click();
    expect(onCompare).toHaveBeenCalledTimes(1);

    renderCompareBar(bar, MAX_COMPARE + 1);
    expect(bar.compare.disabled).toBe(true);
    expect(bar.compare.title).toBe(`Compare at most ${MAX_COMPARE} jobs at once`);

    bar.clear.click();
    expect(onClear).toHaveBeenCalledTimes(1);
  });
});

describe('ComparisonView', () => {
  const a = makeJob({ id: 'aaaaaaaaaaaa', status: 'DONE', counts: [{ '00': 510, '11': 490 }] });
  const b = makeJob({
    id: 'bbbbbbbbbbbb',
    name: 'bell-noisy',
    backend: 'manila',
    status: 'DONE',
    counts: [
      { '00': 400, '01': 100, '10': 20, '11': 480 },
      { '0': 1 }
    ]
  });
  const c = makeJob({ id: 'cccccccccccc', name: 'flip', status: 'DONE', counts: [{ '01': 3, '10': 7 }] });

  it('draws the counts of each job and the measures of each pair', () => {
    const onBack = jest.fn();
    const view = new ComparisonView({ onBack });
    const jobs = new Map<string, IJob | null>();
    view.update([a.id, b.id, c.id], jobs);
    expect(view.node.classList.contains('qnb-mod-loading')).toBe(true);
    expect(view.node.textContent).toContain('Loading the counts of 3 of the jobs…');

    jobs.set(a.id, a).set(b.id, b).set(c.id, c);
    view.update([a.id, b.id, c.id], jobs);
    expect(view.node.classList.contains('qnb-mod-loading')).toBe(false);
    expect(view.node.querySelector('.qnb-DetailsTitle')!.textContent).toBe('Comparison of 3 jobs');
    const svg = view.node.querySelector('svg.qnb-GroupedHistogram')!;
    expect(Array.from(svg.querySelectorAll('.qnb-LegendItem text')).map(t => t.textContent)).toEqual([
      'bell · aer',
      'bell-noisy · manila',
      'flip · aer'
    ]);
    expect(svg.querySelectorAll('rect.qnb-Bar')).toHaveLength(3 * 4);
    expect(tableOf(view.node)).toEqual([
      ['bell', 'bell-noisy', '0.1200', '0.8773'],
      ['bell', 'flip', '1.0000', '0.0000'],
      // ½(.40 + .20 + .68 + .48) = .88; (√(.10·.30) + √(.02·.70))² = .084988
      ['bell-noisy', 'flip', '0.8800', '0.0850']
    ]);
    const pair = view.node.querySelector<HTMLElement>('tr.qnb-ComparePair')!;
    expect([pair.dataset.a, pair.dataset.b]).toEqual([a.id, b.id]);
    expect(Array.from(view.node.querySelectorAll('.qnb-CompareTable th')).map(th => th.textContent)).toEqual([
      'A',
      'B',
      'TVD',
      'Fidelity'
    ]);
    // the job of two circuits: its first is compared, and the view says so
    expect(view.node.querySelector('.qnb-CompareNote')!.textContent).toBe(
      'bell-noisy (bbbbbbbbbbbb) has 2 circuits: the first (index 0) is compared.'
    );

    // a tick with nothing new does not redraw
    const before = view.node.querySelector('svg');
    view.update([a.id, b.id, c.id], new Map(jobs));
    expect(view.node.querySelector('svg')).toBe(before);

    view.node.querySelector<HTMLButtonElement>('.qnb-BackButton')!.click();
    expect(onBack).toHaveBeenCalledTimes(1);
  });

  it('leaves out jobs that are gone or have no counts, and says so', () => {
    const view = new ComparisonView({ onBack: jest.fn() });
    const empty = makeJob({ id: 'dddddddddddd', status: 'DONE', counts: [] });
    const jobs = new Map<string, IJob | null>([
      [a.id, a],
      ['eeeeeeeeeeee', null],
      [empty.id, empty]
    ]);
    view.update([a.id, 'eeeeeeeeeeee', empty.id], jobs);
    const notes = Array.from(view.node.querySelectorAll('.qnb-CompareNote')).map(n => n.textContent);
    expect(notes).toEqual([
      'Job eeeeeeeeeeee was not found: it is left out.',
      'bell (dddddddddddd) is left out: no counts were recorded for this job.'
    ]);
    expect(view.node.querySelector('svg')).toBeNull();
    expect(view.node.querySelector('.qnb-DetailsMessage')!.textContent).toBe(
      'Fewer than two of these jobs have counts to compare.'
    );
  });
});

describe('Compare in the sidebar', () => {
  let server: FakeServer;
  let model: JobsModel;
  let panel: JobsPanel;

  const $ = <T extends Element = HTMLElement>(selector: string): T | null => panel.node.querySelector<T>(selector);
  const isShown = (selector: string): boolean => !$(selector)!.closest('.lm-mod-hidden, [hidden]');
  const row = (id: string): HTMLElement => $(`tr.qnb-JobRow[data-job-id="${id}"]`)!;

  afterEach(() => {
    panel.dispose();
    model.dispose();
  });

  it('compares the jobs checked across pages and refreshes, goes back, and clears the checks', async () => {
    const at = (i: number): string => new Date(Date.UTC(2026, 10, 21, 4, 0, 0) - i * 1000).toISOString();
    const id = (i: number): string => (0xa00000000000 + i).toString(16);
    const jobs = Array.from({ length: 60 }, (_, i) =>
      makeJob({
        id: id(i),
        name: `job-${i}`,
        status: i === 1 ? 'RUNNING' : 'DONE',
        created_at: at(i),
        counts: i === 1 ? undefined : [i % 2 ? { '0': 1 } : { '0': 1, '1': 1 }]
      })
    );
    server = new FakeServer(jobs);
    model = new JobsModel({ settings: server.settings, interval: QUIET, hiddenInterval: QUIET });
    panel = new JobsPanel({ model, copy: jest.fn(), openInNotebook: jest.fn() });
    Widget.attach(panel, document.body);
    await model.poll.tick;

    expect(isShown('.qnb-CompareBar')).toBe(false);
    check(row(id(1))).click(); // RUNNING: not checked
    expect(model.checkedJobs).toEqual([]);
    check(row(id(0))).click();
    expect(isShown('.qnb-CompareBar')).toBe(true);
    expect($('.qnb-CheckedCount')!.textContent).toBe('1 selected');
    expect($<HTMLButtonElement>('.qnb-CompareButton')!.disabled).toBe(true);

    // the check survives a refresh and paging
    await model.refresh();
    expect(check(row(id(0))).checked).toBe(true);
    model.nextPage();
    await model.poll.tick;
    check(row(id(55))).click();
    expect($('.qnb-CheckedCount')!.textContent).toBe('2 selected');
    model.previousPage();
    await model.poll.tick;
    expect(check(row(id(0))).checked).toBe(true);
    expect(row(id(0)).classList.contains('qnb-mod-checked')).toBe(true);
    expect($<HTMLButtonElement>('.qnb-CompareButton')!.disabled).toBe(false);

    server.take();
    $<HTMLButtonElement>('.qnb-CompareButton')!.click();
    expect(model.comparing).toBe(true);
    expect(isShown('.qnb-CompareView')).toBe(true);
    expect(isShown('.qnb-ListView')).toBe(false);
    expect(document.activeElement).toBe($('.qnb-Comparison .qnb-BackButton'));
    await model.poll.tick;
    // (the watcher's look at the recent jobs goes on)
    expect(server.take().filter(r => r.startsWith('GET jobs/')).sort()).toEqual([`GET jobs/${id(0)}`, `GET jobs/${id(55)}`]);
    expect(tableOf(panel.node)).toEqual([['job-0', 'job-55', '0.5000', '0.5000']]);
    expect(panel.node.querySelectorAll('.qnb-Comparison .qnb-LegendItem')).toHaveLength(2);

    // a finished job does not change: later ticks fetch nothing again
    await model.refresh();
    expect(server.take().filter(r => r.startsWith('GET jobs/'))).toEqual([]);

    $<HTMLButtonElement>('.qnb-Comparison .qnb-BackButton')!.click();
    expect(model.comparing).toBe(false);
    expect(document.activeElement).toBe($('.qnb-CompareButton'));
    await model.poll.tick;
    expect(isShown('.qnb-ListView')).toBe(true);
    expect(check(row(id(0))).checked).toBe(true);

    $<HTMLButtonElement>('.qnb-ClearChecksButton')!.click();
    expect(model.checkedJobs).toEqual([]);
    expect(check(row(id(0))).checked).toBe(false);
    expect(isShown('.qnb-CompareBar')).toBe(false);
  });

  it('leaves the comparison for the details of a job, and back to the list', async () => {
    const a = makeJob({ id: 'aaaaaaaaaaaa', status: 'DONE', counts: [{ '0': 1 }] });
    const b = makeJob({ id: 'bbbbbbbbbbbb', status: 'DONE', counts: [{ '1': 1 }] });
    server = new FakeServer([a, b]);
    model = new JobsModel({ settings: server.settings, interval: QUIET, hiddenInterval: QUIET });
    panel = new JobsPanel({ model, copy: jest.fn(), openInNotebook: jest.fn() });
    Widget.attach(panel, document.body);
    await model.poll.tick;
    model.setChecked(a, true);
    model.setChecked(b, true);
    model.openComparison();
    await model.poll.tick;
    expect(tableOf(panel.node)).toEqual([['bell (aaaaaaaaaaaa)', 'bell (bbbbbbbbbbbb)', '1.0000', '0.0000']]);
    model.select(a.id);
    await model.poll.tick;
    expect(model.comparing).toBe(false);
    expect(isShown('.qnb-DetailsView')).toBe(true);
    expect(isShown('.qnb-CompareView')).toBe(false);
    expect(model.checkedJobs.map(j => j.id)).toEqual([a.id, b.id]);
  });

  it('checks only comparable jobs, compares only 2 or more, and says which job is gone', async () => {
    const a = makeJob({ id: 'aaaaaaaaaaaa', status: 'DONE', counts: [{ '0': 1 }] });
    const b = makeJob({ id: 'bbbbbbbbbbbb', status: 'DONE', counts: [{ '0': 1 }] });
    const c = makeJob({ id: 'cccccccccccc', status: 'DONE', counts: [{ '0': 3, '1': 1 }] });
    server = new FakeServer([a, b, c]);
    model = new JobsModel({ settings: server.settings, interval: QUIET, hiddenInterval: QUIET });
    panel = new JobsPanel({ model, copy: jest.fn(), openInNotebook: jest.fn() });
    Widget.attach(panel, document.body);
    await model.poll.tick;
    model.setChecked(makeJob({ status: 'QUEUED' }), true);
    model.setChecked(makeEstimatorJob([PUBS.scalar]), true);
    model.setChecked(a, true);
    expect(model.checkedJobs.map(j => j.id)).toEqual([a.id]);
    expect(model.canCompare).toBe(false);
    model.openComparison();
    expect(model.comparing).toBe(false);

    model.setChecked(b, true);
    model.setChecked(c, true);
    server.jobs.delete(b.id); // pruned meanwhile
    model.openComparison();
    await model.poll.tick;
    expect(model.comparedJobs.get(b.id)).toBeNull();
    expect($('.qnb-CompareNote')!.textContent).toBe('Job bbbbbbbbbbbb was not found: it is left out.');
    expect(tableOf(panel.node)).toEqual([['bell (aaaaaaaaaaaa)', 'bell (cccccccccccc)', '0.2500', '0.7500']]);
  });
});
