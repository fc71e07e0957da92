import { JOB_STATUSES } from '../api';
import { canCancel, JobDetails } from '../details';
import { createJobRow, reconcileRows } from '../table';
import { makeJob } from './fixtures';

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

  it('disables Cancel once a cancel was requested', () => {
    expect(canCancel(makeJob({ status: 'RUNNING', cancel_requested: true }))).toBe(false);
    expect(canCancel(null)).toBe(false);
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
