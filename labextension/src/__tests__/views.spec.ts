import { JobDetails, MAX_PUBS_SHOWN, renderTagList } from '../details';
import { IJob, JOB_STATUSES } from '../job';
import { createJobRow, createJobTable, emptyMessage, MAX_ROW_TAGS, reconcileRows, renderJobTable, updateJobRow } from '../table';
import serverJob from './fixtures/job.json';
import { ESTIMATE, makeEstimateJob, makeEstimatorJob, makeJob, makeSamplerJob, PUBS } from './fixtures/jobs';

const NOW = Date.parse('2026-11-21T04:31:00.123Z');

describe('job rows', () => {
  it.each(JOB_STATUSES.map(s => [s]))('renders a %s row with its hooks', status => {
    const row = createJobRow(makeJob({ id: '3f2a9c1b7d4e', status }), NOW);
    expect(row.classList.contains('qnb-JobRow')).toBe(true);
    expect(row.dataset.jobId).toBe('3f2a9c1b7d4e');
    expect(row.dataset.status).toBe(status);
    const cells = Array.from(row.cells).map(c => c.textContent);
    expect(cells[0]).toBe('bell');
    expect(cells[1]).toBe('aer');
    expect(row.querySelector(`.qnb-Status[data-status="${status}"]`)).not.toBeNull();
    expect(cells[3]).toBe('1m ago');
  });

  it('shows a running job\'s progress as a bar under its status, gone once it ends', () => {
    const running = makeJob({ id: '3f2a9c1b7d4e', status: 'RUNNING', progress: { done: 30, total: 120 } });
    const row = createJobRow(running, NOW);
    const bar = row.cells[2].querySelector('progress.qnb-RowProgress') as HTMLProgressElement;
    expect(bar).not.toBeNull();
    expect([bar.value, bar.max]).toEqual([30, 120]);
    expect(bar.getAttribute('aria-label')).toBe('30 of 120 circuits');
    updateJobRow(row, { ...running, progress: { done: 90, total: 120 } }, NOW);
    expect((row.cells[2].querySelector('progress') as HTMLProgressElement).value).toBe(90);
    updateJobRow(row, { ...running, status: 'DONE', progress: { done: 120, total: 120 } }, NOW);
    expect(row.cells[2].querySelector('progress')).toBeNull();
    expect(createJobRow(makeJob({ status: 'RUNNING' }), NOW).querySelector('progress')).toBeNull();
  });

  it('tells the phase a running job\'s bar counts: transpiling, then simulating', () => {
    const transpiling = makeJob({
      id: '3f2a9c1b7d4e', status: 'RUNNING', progress: { done: 40, total: 120, phase: 'transpiling' }
    });
    const row = createJobRow(transpiling, NOW);
    const bar = () => row.cells[2].querySelector('progress.qnb-RowProgress') as HTMLProgressElement;
    expect(bar().getAttribute('aria-label')).toBe('transpiling 40 of 120 circuits');
    expect(bar().title).toBe('transpiling 40 of 120 circuits');
    expect(bar().dataset.phase).toBe('transpiling');
    updateJobRow(row, { ...transpiling, progress: { done: 60, total: 120, phase: 'simulating' } }, NOW);
    expect([bar().value, bar().max]).toEqual([60, 120]);
    expect(bar().getAttribute('aria-label')).toBe('simulating 60 of 120 circuits');
    expect(bar().dataset.phase).toBe('simulating');
    updateJobRow(row, { ...transpiling, progress: { done: 70, total: 120, phase: null } }, NOW);
    expect(bar().getAttribute('aria-label')).toBe('70 of 120 circuits');
    expect(bar().dataset.phase).toBeUndefined();
  });

  it('shows the id when the job has no name', () => {
    const row = createJobRow(makeJob({ id: '3f2a9c1b7d4e', name: null }), NOW);
    expect(row.cells[0].textContent).toBe('3f2a9c1b7d4e');
    expect(row.cells[0].classList.contains('qnb-mod-unnamed')).toBe(true);
  });

  it('updates rows in place, in the server order', () => {
    const tbody = document.createElement('tbody');
    const rows = new Map<string, HTMLTableRowElement>();
    const a = makeJob({ id: 'aaaaaaaaaaaa', status: 'QUEUED' });
    const b = makeJob({ id: 'bbbbbbbbbbbb', status: 'RUNNING' });
    reconcileRows(tbody, rows, [a, b], NOW);
    const rowA = tbody.rows[0];
    expect(Array.from(tbody.rows).map(r => r.dataset.jobId)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb']);

    const c = makeJob({ id: 'cccccccccccc', status: 'DONE' });
    reconcileRows(tbody, rows, [c, { ...a, status: 'RUNNING', started_at: '2026-11-21T04:30:30.123Z' }], NOW);
    expect(Array.from(tbody.rows).map(r => r.dataset.jobId)).toEqual(['cccccccccccc', 'aaaaaaaaaaaa']);
    expect(tbody.rows[1]).toBe(rowA);
    expect(rowA.dataset.status).toBe('RUNNING');
    expect(rowA.querySelector('.qnb-Status')!.classList.contains('qnb-mod-running')).toBe(true);
    expect(rowA.cells[4].textContent).toBe('30 s');
    expect(rows.has('bbbbbbbbbbbb')).toBe(false);
  });

  it('opens a job from a click or Enter on its row, and marks the selected row', () => {
    const onOpen = jest.fn();
    const view = createJobTable(onOpen);
    expect(Array.from(view.table.tHead!.rows[0].cells).map(th => th.textContent)).toEqual([
      'Name',
      'Backend',
      'Status',
      'Submitted',
      'Time',
      'Owner'
    ]);
    const jobs = [makeJob({ id: 'aaaaaaaaaaaa' }), makeJob({ id: 'bbbbbbbbbbbb' })];
    renderJobTable(view, jobs, 'bbbbbbbbbbbb', NOW);
    const [a, b] = Array.from(view.tbody.rows);
    expect([a.classList.contains('jp-mod-selected'), b.classList.contains('jp-mod-selected')]).toEqual([false, true]);
    a.cells[1].click();
    b.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    b.dispatchEvent(new KeyboardEvent('keydown', { key: 'x', bubbles: true }));
    expect(onOpen.mock.calls).toEqual([['aaaaaaaaaaaa'], ['bbbbbbbbbbbb']]);
  });

  it('filters by session from a click on a row\'s session marker, without opening the row', () => {
    const onOpen = jest.fn();
    const onSession = jest.fn();
    const view = createJobTable(onOpen, onSession);
    const outer = jest.fn();
    view.table.addEventListener('click', outer);
    const jobs = [makeJob({ id: 'aaaaaaaaaaaa', session: '0123456789ab' }), makeJob({ id: 'bbbbbbbbbbbb' })];
    renderJobTable(view, jobs, null, NOW);
    const [a, b] = Array.from(view.tbody.rows);
    a.querySelector<HTMLElement>('.qnb-SessionMarker svg')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(onSession.mock.calls).toEqual([['0123456789ab']]);
    expect(onOpen).not.toHaveBeenCalled();
    expect(outer).not.toHaveBeenCalled();
    // Enter on the marker is the button's own (its click), not the row's
    a.querySelector('.qnb-SessionMarker')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    expect(onOpen).not.toHaveBeenCalled();
    a.cells[2].click();
    b.cells[0].click();
    expect(onOpen.mock.calls).toEqual([['aaaaaaaaaaaa'], ['bbbbbbbbbbbb']]);
    expect(onSession).toHaveBeenCalledTimes(1);
  });

  it('marks primitive jobs and jobs of a session, and leaves plain rows as they were', () => {
    const plain = createJobRow(makeJob({ id: 'aaaaaaaaaaaa' }), NOW);
    expect(plain.cells[0].textContent).toBe('bell');
    expect(plain.querySelector('.qnb-RowMarkers')!.children).toHaveLength(0);
    expect(plain.cells[0].title).toBe('bell\naaaaaaaaaaaa');

    const estimator = createJobRow(makeEstimatorJob([PUBS.scalar, PUBS.sweep, PUBS.grid], { id: 'bbbbbbbbbbbb' }), NOW);
    const kind = estimator.querySelector<HTMLElement>('.qnb-KindMarker')!;
    expect(kind.dataset.primitive).toBe('estimator');
    expect(kind.title).toBe('Estimator · 3 PUBs');
    expect(kind.querySelector('.qnb-KindLong')!.textContent).toBe('Estimator');
    expect(kind.querySelector('.qnb-KindShort')!.textContent).toBe('E');
    expect(estimator.querySelector('.qnb-JobName')!.textContent).toBe('energy');
    expect(estimator.querySelector('.qnb-SessionMarker')).toBeNull();
    expect(estimator.cells[0].title).toBe('energy\nbbbbbbbbbbbb\nEstimator · 3 PUBs');
    // no shot count anywhere in the row of an Estimator job
    expect(estimator.textContent).not.toMatch(/shot/i);

    const session = createJobRow(makeSamplerJob([PUBS.sampler], { session: '0123456789ab' }), NOW);
    expect(session.querySelector<HTMLElement>('.qnb-KindMarker')!.dataset.primitive).toBe('sampler');
    const marker = session.querySelector<HTMLElement>('.qnb-SessionMarker')!;
    expect(marker.dataset.session).toBe('0123456789ab');
    expect(marker.title).toBe('Session 0123456789ab: show only its jobs');
    expect(marker.tagName).toBe('BUTTON');
    expect(marker.getAttribute('aria-label')).toBe('Show only the jobs of session 0123456789ab');
    expect(marker.querySelector('svg')).not.toBeNull();
  });

  it('updates the markers in place', () => {
    const tbody = document.createElement('tbody');
    const rows = new Map<string, HTMLTableRowElement>();
    const job = makeJob({ id: 'aaaaaaaaaaaa' });
    reconcileRows(tbody, rows, [job], NOW);
    const row = tbody.rows[0];
    const markers = row.querySelector('.qnb-RowMarkers')!;
    reconcileRows(tbody, rows, [{ ...job, session: '0123456789ab' }], NOW);
    expect(tbody.rows[0]).toBe(row);
    const marker = markers.querySelector('.qnb-SessionMarker');
    expect(marker).not.toBeNull();
    reconcileRows(tbody, rows, [{ ...job, session: '0123456789ab', status: 'RUNNING' }], NOW);
    expect(markers.querySelector('.qnb-SessionMarker')).toBe(marker);
    reconcileRows(tbody, rows, [job], NOW);
    expect(markers.children).toHaveLength(0);
  });

  it('shows a job\'s tags as chips under its name, the first few and "+N"', () => {
    const plain = createJobRow(makeJob({ id: 'aaaaaaaaaaaa' }), NOW);
    expect(plain.querySelector('.qnb-RowTags')!.children).toHaveLength(0);
    expect(plain.querySelector('.qnb-TagChip')).toBeNull();

    const row = createJobRow(makeJob({ id: 'bbbbbbbbbbbb', tags: ['sweep-7', 'h2'] }), NOW);
    const chips = Array.from(row.querySelectorAll<HTMLElement>('.qnb-RowTags .qnb-Chip.qnb-TagChip'));
    expect(chips.map(c => [c.tagName, c.dataset.tag, c.textContent])).toEqual([
      ['BUTTON', 'sweep-7', 'sweep-7'],
      ['BUTTON', 'h2', 'h2']
    ]);
    expect(chips[0].getAttribute('aria-label')).toBe('Show only the jobs tagged sweep-7');
    expect((chips[0] as HTMLButtonElement).type).toBe('button');
    expect(row.cells[0].title).toBe('bell\nbbbbbbbbbbbb\ntags: sweep-7, h2');
    expect(row.querySelector('.qnb-JobName')!.textContent).toBe('bell');

    const tags = ['a', 'b', 'c', 'd', 'e'];
    const many = createJobRow(makeJob({ tags }), NOW);
    expect(MAX_ROW_TAGS).toBe(3);
    expect(Array.from(many.querySelectorAll<HTMLElement>('.qnb-TagChip')).map(c => c.dataset.tag)).toEqual(['a', 'b', 'c']);
    const more = many.querySelector<HTMLElement>('.qnb-MoreTags')!;
    expect([more.textContent, more.title]).toEqual(['+2', 'd, e']);
    expect(more.getAttribute('aria-label')).toBe('2 more tags: d, e');
  });

  it('filters by tag from a click on a chip, without opening the row', () => {
    const onOpen = jest.fn();
    const onSession = jest.fn();
    const onTag = jest.fn();
    const view = createJobTable(onOpen, onSession, onTag);
    const outer = jest.fn();
    view.table.addEventListener('click', outer);
    renderJobTable(view, [makeJob({ id: 'aaaaaaaaaaaa', tags: ['sweep-7', 'h2'] }), makeJob({ id: 'bbbbbbbbbbbb' })], null, NOW);
    const [a, b] = Array.from(view.tbody.rows);
    a.querySelector<HTMLElement>('.qnb-TagChip[data-tag="h2"]')!.click();
    expect(onTag.mock.calls).toEqual([['h2']]);
    expect(onOpen).not.toHaveBeenCalled();
    expect(onSession).not.toHaveBeenCalled();
    expect(outer).not.toHaveBeenCalled();
    // Enter on a chip is the button's own (its click), not the row's
    const chip = a.querySelector('.qnb-TagChip')!;
    chip.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    chip.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }));
    expect(onOpen).not.toHaveBeenCalled();
    a.cells[1].click();
    b.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    expect(onOpen.mock.calls).toEqual([['aaaaaaaaaaaa'], ['bbbbbbbbbbbb']]);
    expect(onTag).toHaveBeenCalledTimes(1);
  });

  it('updates the tags in place, redrawing them only when they change', () => {
    const tbody = document.createElement('tbody');
    const rows = new Map<string, HTMLTableRowElement>();
    const job = makeJob({ id: 'aaaaaaaaaaaa', tags: ['x'] });
    reconcileRows(tbody, rows, [job], NOW);
    const box = tbody.rows[0].querySelector('.qnb-RowTags')!;
    const chip = box.firstElementChild;
    reconcileRows(tbody, rows, [{ ...job, status: 'RUNNING' }], NOW);
    expect(box.firstElementChild).toBe(chip);
    reconcileRows(tbody, rows, [{ ...job, tags: ['x', 'y'] }], NOW);
    expect(Array.from(box.children).map(c => c.textContent)).toEqual(['x', 'y']);
    reconcileRows(tbody, rows, [{ ...job, tags: [] }], NOW);
    expect(box.children).toHaveLength(0);
  });

  it('says why the list is empty', () => {
    expect(emptyMessage(false)).toMatch(/^No quantum jobs yet/);
    expect(emptyMessage(true)).toBe('No jobs match these filters.');
  });
});

describe('JobDetails', () => {
  const handlers = () => ({
    onBack: jest.fn(),
    onCancel: jest.fn(),
    onCopyId: jest.fn(),
    onOpenInNotebook: jest.fn()
  });

  it('shows the fields and hooks of a job', () => {
    const details = new JobDetails(handlers());
    details.update(makeJob({ id: '3f2a9c1b7d4e', status: 'RUNNING', provider_status: 'Running' }), NOW);
    const node = details.node;
    expect(node.classList.contains('qnb-JobDetails')).toBe(true);
    expect(node.dataset.jobId).toBe('3f2a9c1b7d4e');
    expect(node.dataset.status).toBe('RUNNING');
    const fields = Object.fromEntries(
      Array.from(node.querySelectorAll('dt')).map(dt => [dt.textContent, dt.nextElementSibling!.textContent])
    );
    expect(fields).toMatchObject({
      Id: '3f2a9c1b7d4e',
      Name: 'bell',
      Backend: 'aer',
      'Provider status': 'Running',
      Shots: '1,000',
      Qubits: '2',
      Depth: '3',
      Gates: 'measure 2, cx 1, h 1',
      'Running for': '59 s'
    });
    expect(node.querySelector('.qnb-Histogram')).toBeNull();
  });

  it('shows the phase a running job\'s progress counts', () => {
    const details = new JobDetails(handlers());
    const fields = () => Object.fromEntries(
      Array.from(details.node.querySelectorAll('dt')).map(dt => [dt.textContent, dt.nextElementSibling!.textContent])
    );
    const running = makeJob({ status: 'RUNNING', provider_status: 'transpiling' });
    details.update({ ...running, progress: { done: 1200, total: 4000, phase: 'transpiling' } }, NOW);
    expect(fields().Progress).toBe('transpiling 1,200 of 4,000 circuits');
    details.update({ ...running, progress: { done: 60, total: 4000, phase: 'simulating' } }, NOW);
    expect(fields().Progress).toBe('simulating 60 of 4,000 circuits');
  });

  it.each(JOB_STATUSES.map(s => [s]))('enables Cancel only while active (%s)', status => {
    const h = handlers();
    const details = new JobDetails(h);
    details.update(makeJob({ id: '3f2a9c1b7d4e', status }), NOW);
    const cancel = details.node.querySelector<HTMLButtonElement>('button.qnb-CancelButton')!;
    const active = status === 'QUEUED' || status === 'RUNNING';
    expect(cancel.disabled).toBe(!active);
    cancel.click();
    expect(h.onCancel).toHaveBeenCalledTimes(active ? 1 : 0);
  });

  it('lists the job\'s tags; a click on one filters by it', () => {
    const onFilterTag = jest.fn();
    const details = new JobDetails({ ...handlers(), onFilterTag });
    details.update(makeJob({ id: '3f2a9c1b7d4e', status: 'DONE', tags: ['sweep-7', 'h2', 'run 3'] }), NOW);
    const dt = Array.from(details.node.querySelectorAll('.qnb-Fields dt')).find(d => d.textContent === 'Tags')!;
    const dd = dt.nextElementSibling as HTMLElement;
    expect(dd.classList.contains('qnb-TagsField')).toBe(true);
    const chips = Array.from(dd.querySelectorAll<HTMLButtonElement>('button.qnb-TagChip'));
    expect(chips.map(c => c.dataset.tag)).toEqual(['sweep-7', 'h2', 'run 3']);
    chips[2].click();
    expect(onFilterTag.mock.calls).toEqual([['run 3']]);

    // no tags: no field; no handler: plain chips
    details.update(makeJob({ id: '3f2a9c1b7d4e', status: 'DONE' }), NOW);
    expect(Array.from(details.node.querySelectorAll('.qnb-Fields dt')).map(d => d.textContent)).not.toContain('Tags');
    const plain = new JobDetails(handlers());
    plain.update(makeJob({ tags: ['sweep-7'] }), NOW);
    const chip = plain.node.querySelector<HTMLElement>('.qnb-TagsField .qnb-TagChip')!;
    expect([chip.tagName, chip.dataset.tag, chip.title]).toEqual(['SPAN', 'sweep-7', 'Tag sweep-7']);
    expect(renderTagList([])).toBeNull();
  });

  it('shows the error text of a failed job', () => {
    const details = new JobDetails(handlers());
    details.update(makeJob({ status: 'ERROR', error: 'AerError: out of memory' }), NOW);
    expect(details.node.querySelector('.qnb-JobError')!.textContent).toBe('AerError: out of memory');
  });

  it('draws the counts of a DONE job, one circuit at a time', () => {
    const details = new JobDetails(handlers());
    details.update(
      makeJob({ status: 'DONE', num_circuits: 2, counts: [{ '00': 510, '11': 490 }, { '0': 1, '1': 2, '10': 3 }] }),
      NOW
    );
    const svg = details.node.querySelector('svg.qnb-Histogram')!;
    expect(svg.querySelectorAll('rect.qnb-Bar')).toHaveLength(2);
    const select = details.node.querySelector<HTMLSelectElement>('.qnb-CircuitSelect select')!;
    select.value = '1';
    select.dispatchEvent(new Event('change'));
    expect(details.node.querySelectorAll('svg.qnb-Histogram rect.qnb-Bar')).toHaveLength(3);
    expect(details.node.querySelector('.qnb-TopCounts tbody tr td')!.textContent).toBe('10');
  });

  it('copies the id and opens %qresult through its handlers', () => {
    const h = handlers();
    const details = new JobDetails(h);
    details.update(makeJob({ id: '3f2a9c1b7d4e', status: 'DONE', counts: [{ '1': 5 }] }), NOW);
    details.node.querySelector<HTMLButtonElement>('.qnb-CopyIdButton')!.click();
    details.node.querySelector<HTMLButtonElement>('.qnb-CopyButton')!.click();
    details.node.querySelector<HTMLButtonElement>('.qnb-OpenInNotebookButton')!.click();
    details.node.querySelector<HTMLButtonElement>('.qnb-BackButton')!.click();
    expect(h.onCopyId.mock.calls).toEqual([['3f2a9c1b7d4e'], ['3f2a9c1b7d4e']]);
    expect(h.onOpenInNotebook).toHaveBeenCalledWith('3f2a9c1b7d4e');
    expect(h.onBack).toHaveBeenCalledTimes(1);
  });

  it('renders a job as the server sends it (the contract fixture)', () => {
    const job = serverJob as IJob;
    const details = new JobDetails(handlers());
    details.update(job, Date.parse(job.finished_at!) + 60000);
    const node = details.node;
    expect(node.dataset.status).toBe('DONE');
    const bars = Array.from(node.querySelectorAll<SVGRectElement>('svg.qnb-Histogram rect.qnb-Bar'));
    expect(Object.fromEntries(bars.map(b => [b.dataset.key, Number(b.dataset.count)]))).toEqual(job.counts![0]);
    expect(node.querySelector('.qnb-CancelButton')!.hasAttribute('disabled')).toBe(true);
  });

  const fieldsOf = (node: HTMLElement): Record<string, string> =>
    Object.fromEntries(
      Array.from(node.querySelectorAll('.qnb-Fields dt')).map(dt => [dt.textContent, dt.nextElementSibling!.textContent])
    );

  it('leaves a plain job as it was: shots, circuits, counts, no primitive or session', () => {
    const details = new JobDetails(handlers());
    details.update(makeJob({ status: 'DONE', counts: [{ '00': 510, '11': 490 }] }), NOW);
    const node = details.node;
    expect(fieldsOf(node)).toMatchObject({ Shots: '1,000', Circuits: '1' });
    expect(fieldsOf(node)).not.toHaveProperty('Primitive');
    expect(node.querySelector('.qnb-DetailsMeta')).toBeNull();
    expect(node.querySelector('.qnb-Counts h4')!.textContent).toBe('Counts');
    expect(node.querySelectorAll('svg.qnb-Histogram rect.qnb-Bar')).toHaveLength(2);
    expect(node.querySelector('.qnb-Pub, .qnb-PubResults, .qnb-EvChart')).toBeNull();
  });

  it('draws the contract fixture (a plain job) from its counts, not its PUBs', () => {
    const details = new JobDetails(handlers());
    details.update(serverJob as IJob, NOW);
    expect(details.node.querySelector('.qnb-Pub')).toBeNull();
    expect(details.node.querySelector('svg.qnb-Histogram')).not.toBeNull();
  });

  it('shows a resource estimate as one: its kind instead of shots, its figures instead of counts', () => {
    const details = new JobDetails(handlers());
    details.update(makeEstimateJob([ESTIMATE, { ...ESTIMATE, physical_qubits: 1200000 }]), NOW);
    const node = details.node;
    const fields = fieldsOf(node);
    expect(fields).toMatchObject({ Kind: 'Resource estimate', Circuits: '2', Backend: 'azure-estimator' });
    expect(fields).not.toHaveProperty('Shots');
    expect(node.textContent).not.toMatch(/shots|No counts/);
    expect(node.querySelector('.qnb-Estimates h4')!.textContent).toBe('Resource estimate');
    expect(Array.from(node.querySelectorAll('.qnb-Estimate')).map(e => (e as HTMLElement).dataset.circuit)).toEqual(['0', '1']);
    expect(node.querySelector('.qnb-EstimateHeadline')!.textContent).toBe(
      'Circuit 1 of 2: 510,380 physical qubits · runtime 3 millisecs'
    );
    expect(node.querySelectorAll('.qnb-Estimate .qnb-QubitSplit svg.qnb-SplitBar')).toHaveLength(2);
    expect(node.querySelectorAll('.qnb-Estimate .qnb-BudgetSplit svg.qnb-SplitBar')).toHaveLength(2);
    expect(node.querySelector('svg.qnb-Histogram, .qnb-PubResults')).toBeNull();
    // while it runs: the kind, and no figures yet
    details.update(makeEstimateJob([], { status: 'RUNNING', counts: undefined, estimates: undefined }), NOW);
    expect(fieldsOf(details.node)).toMatchObject({ Kind: 'Resource estimate' });
    expect(details.node.querySelector('.qnb-Estimates')).toBeNull();
  });

  it('shows an Estimator job with a scalar PUB: kind instead of shots, value ± std', () => {
    const details = new JobDetails(handlers());
    details.update(makeEstimatorJob([PUBS.scalar]), NOW);
    const node = details.node;
    const chip = node.querySelector<HTMLElement>('.qnb-DetailsHeader .qnb-DetailsMeta .qnb-KindChip')!;
    expect(chip.textContent).toBe('Estimator · 1 PUB');
    expect(chip.dataset.primitive).toBe('estimator');
    const fields = fieldsOf(node);
    expect(fields.Primitive).toBe('Estimator · 1 PUB');
    expect(fields).not.toHaveProperty('Shots');
    expect(fields).not.toHaveProperty('Circuits');
    expect(node.textContent).not.toMatch(/\b0 shots|No counts/);
    expect(node.querySelector('.qnb-PubResults h4')!.textContent).toBe('Expectation values');
    expect(node.querySelector('.qnb-EstimatorPub .qnb-EvScalar')!.textContent).toBe('0.9958± 0');
    expect(node.querySelector('svg.qnb-Histogram')).toBeNull();
    expect(node.querySelector('.qnb-SessionChip')).toBeNull();
  });

  it('shows an Estimator job with a 1-D sweep of 5 points as a chart and a table', () => {
    const details = new JobDetails(handlers());
    details.update(makeEstimatorJob([PUBS.scalar, PUBS.sweep]), NOW);
    const node = details.node;
    expect(node.querySelector('.qnb-KindChip')!.textContent).toBe('Estimator · 2 PUBs');
    const pubs = Array.from(node.querySelectorAll<HTMLElement>('.qnb-EstimatorPub'));
    expect(pubs.map(p => p.dataset.pubIndex)).toEqual(['0', '1']);
    expect(pubs[1].querySelectorAll('svg.qnb-EvChart circle.qnb-EvPoint')).toHaveLength(5);
    expect(pubs[1].querySelectorAll('table.qnb-EvTable tbody tr')).toHaveLength(5);
  });

  it('draws the first MAX_PUBS_SHOWN PUBs and points to %qresult for the rest', () => {
    const details = new JobDetails(handlers());
    const job = makeEstimatorJob(Array.from({ length: MAX_PUBS_SHOWN + 2 }, () => PUBS.scalar), { id: '3f2a9c1b7d4e' });
    details.update(job, NOW);
    expect(details.node.querySelectorAll('.qnb-EstimatorPub')).toHaveLength(MAX_PUBS_SHOWN);
    expect(details.node.querySelector('.qnb-PubResults > .qnb-DetailsMessage')!.textContent).toBe(
      '2 more PUBs: see %qresult 3f2a9c1b7d4e.'
    );
  });

  it('says so when an Estimator job has no PUB results', () => {
    const details = new JobDetails(handlers());
    details.update(makeEstimatorJob([], { pubs: undefined }), NOW);
    expect(details.node.querySelector('.qnb-Counts .qnb-DetailsMessage')!.textContent).toBe(
      'No expectation values were recorded for this job.'
    );
  });

  it('shows a Sampler job of 3 points with a picker that switches the histogram', () => {
    const details = new JobDetails(handlers());
    const job = makeSamplerJob([PUBS.sampler]);
    details.update(job, NOW);
    const node = details.node;
    expect(node.querySelector('.qnb-KindChip')!.textContent).toBe('Sampler · 1 PUB');
    expect(fieldsOf(node)).toMatchObject({ Primitive: 'Sampler · 1 PUB', Shots: '1,024' });
    expect(node.querySelector('.qnb-PubResults h4')!.textContent).toBe('Counts per parameter point');
    const histogramKeys = (): string[] =>
      Array.from(node.querySelectorAll<SVGRectElement>('svg.qnb-Histogram rect.qnb-Bar')).map(b => b.dataset.key!);
    expect(histogramKeys()).toEqual(['00']);
    const select = node.querySelector<HTMLSelectElement>('.qnb-SamplerPub select.qnb-PointSelect')!;
    expect(select.options).toHaveLength(3);
    select.value = '1';
    select.dispatchEvent(new Event('change'));
    expect(histogramKeys()).toEqual(['00', '01', '10', '11']);
    select.value = '2';
    select.dispatchEvent(new Event('change'));
    expect(histogramKeys()).toEqual(['10', '11']);
    // a redraw of the same job (a refresh) keeps the point
    details.update({ ...job, updated_at: '2026-11-21T04:40:00.000Z' }, NOW);
    expect(node.querySelector<HTMLSelectElement>('select.qnb-PointSelect')!.value).toBe('2');
    expect(histogramKeys()).toEqual(['10', '11']);
    // another job starts at its first point
    details.update(makeSamplerJob([PUBS.sampler]), NOW);
    expect(histogramKeys()).toEqual(['00']);
  });

  it('falls back to the merged counts of a Sampler job without PUB results', () => {
    const details = new JobDetails(handlers());
    details.update(makeSamplerJob([PUBS.sampler, PUBS.sampler], { pubs: undefined }), NOW);
    const select = details.node.querySelector<HTMLSelectElement>('.qnb-CircuitSelect select')!;
    expect(Array.from(select.options).map(o => o.textContent)).toEqual(['PUB 1 of 2', 'PUB 2 of 2']);
    expect(details.node.querySelectorAll('svg.qnb-Histogram rect.qnb-Bar')).toHaveLength(4);
  });

  it('shows the session of a job', () => {
    const details = new JobDetails(handlers());
    details.update(makeJob({ status: 'RUNNING', session: '0123456789ab' }), NOW);
    const chip = details.node.querySelector<HTMLElement>('.qnb-DetailsHeader .qnb-SessionChip')!;
    expect(chip.textContent).toBe('session 0123456789ab');
    expect(chip.dataset.session).toBe('0123456789ab');
    expect(details.node.querySelector('.qnb-KindChip')).toBeNull();
    expect(fieldsOf(details.node)).toMatchObject({ Shots: '1,000' });
  });

  it('filters by session from a click on the session chip', () => {
    const onFilterSession = jest.fn();
    const details = new JobDetails({ ...handlers(), onFilterSession });
    details.update(makeJob({ status: 'RUNNING', session: '0123456789ab' }), NOW);
    const chip = details.node.querySelector<HTMLButtonElement>('.qnb-DetailsHeader button.qnb-SessionChip')!;
    expect(chip.textContent).toBe('session 0123456789ab');
    expect(chip.getAttribute('aria-label')).toBe('Show only the jobs of session 0123456789ab');
    chip.querySelector('code')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(onFilterSession.mock.calls).toEqual([['0123456789ab']]);
    // without the handler the chip is only a label
    const plain = new JobDetails(handlers());
    plain.update(makeJob({ status: 'RUNNING', session: '0123456789ab' }), NOW);
    expect(plain.node.querySelector('.qnb-SessionChip')!.tagName).toBe('SPAN');
  });

  it('shows a loading state, then a message, for a job it does not have', () => {
    const details = new JobDetails(handlers());
    details.showLoading('3f2a9c1b7d4e');
    expect(details.node.classList.contains('qnb-mod-loading')).toBe(true);
    expect(details.node.dataset.jobId).toBe('3f2a9c1b7d4e');
    details.showMessage('3f2a9c1b7d4e', 'Job 3f2a9c1b7d4e was not found.');
    expect(details.node.classList.contains('qnb-mod-loading')).toBe(false);
    expect(details.node.querySelector('.qnb-DetailsMessage')!.textContent).toBe('Job 3f2a9c1b7d4e was not found.');
    const back = details.node.querySelector('.qnb-BackButton');
    details.showMessage('3f2a9c1b7d4e', 'Job 3f2a9c1b7d4e was not found.');
    expect(details.node.querySelector('.qnb-BackButton')).toBe(back);
  });

  it('says "Cancelling…" while a cancel is in flight or requested', () => {
    const details = new JobDetails(handlers());
    const job = makeJob({ status: 'RUNNING' });
    details.update(job, NOW);
    const cancel = () => details.node.querySelector<HTMLButtonElement>('.qnb-CancelButton')!;
    details.setCancelling(true);
    expect([cancel().disabled, cancel().textContent]).toEqual([true, 'Cancelling…']);
    details.update({ ...job, cancel_requested: true }, NOW);
    details.setCancelling(false);
    expect([cancel().disabled, cancel().textContent]).toEqual([true, 'Cancelling…']);
    details.update({ ...job, status: 'CANCELLED', cancel_requested: true }, NOW);
    expect([cancel().disabled, cancel().textContent]).toEqual([true, 'Cancel']);
  });

  it('only redraws when the job changed', () => {
    const details = new JobDetails(handlers());
    const job = makeJob({ status: 'RUNNING' });
    details.update(job, NOW);
    const header = details.node.firstElementChild;
    details.update({ ...job }, NOW + 5000);
    expect(details.node.firstElementChild).toBe(header);
    details.update({ ...job, status: 'DONE', finished_at: '2026-11-21T04:31:00.000Z', counts: [{ '0': 1 }] }, NOW);
    expect(details.node.firstElementChild).not.toBe(header);
    expect(details.node.dataset.status).toBe('DONE');
  });
});
