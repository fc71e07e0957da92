import type { IUsageGroup } from '../api';
import { getUsage } from '../api';
import { renderUsage, usageLine, usageTotals } from '../usage';
import { FakeServer } from './fixtures/server';

const group = (name: string, extra: Partial<IUsageGroup> = {}): IUsageGroup => ({
  group: name,
  jobs: 2,
  shots: 2000,
  circuits: 3,
  queue_seconds: 1.5,
  run_seconds: 4,
  qpu_seconds: null,
  cost_estimate: null,
  ...extra
});

describe('the usage summary', () => {
  it('adds up the backends, QPU time and cost only where known, marking the cost an estimate', () => {
    const groups = [group('aer'), group('ibm', { jobs: 1, shots: 4000, qpu_seconds: 7.5, cost_estimate: 12 })];
    expect(usageTotals(groups)).toMatchObject({ jobs: 3, shots: 6000, qpu_seconds: 7.5, cost_estimate: 12 });
    expect(usageLine(groups)).toBe('Usage, last 30 days: 3 jobs · 6,000 shots · 7.5 s QPU · ~$12.00 (estimate)');
    expect(usageLine([group('aer')])).toBe('Usage, last 30 days: 2 jobs · 2,000 shots');
    expect(usageLine([])).toBe('Usage, last 30 days: no finished jobs');
  });

  it('draws a table per backend with a total row', () => {
    const box = renderUsage([group('aer'), group('ibm', { qpu_seconds: 7.5, cost_estimate: 12 })]);
    const rows = Array.from(box.querySelectorAll('tr')).map(tr => Array.from(tr.children).map(c => c.textContent));
    expect(rows[0]).toEqual(['Backend', 'Jobs', 'Shots', 'Run', 'QPU', 'Est. cost']);
    expect(rows[1]).toEqual(['aer', '2', '2,000', '4.0 s', '—', '—']);
    expect(rows[2]).toEqual(['ibm', '2', '2,000', '4.0 s', '7.5 s', '~$12.00']);
    expect(rows[3]).toEqual(['total', '4', '4,000', '8.0 s', '7.5 s', '~$12.00']);
    expect(renderUsage([]).querySelector('table')).toBeNull();
  });

  it('asks the server for the last 30 days per backend', async () => {
    const server = new FakeServer();
    await getUsage('backend', '30d', server.settings).catch(() => undefined);
    expect(server.take()).toEqual(['GET usage?by=backend&since=30d']);
  });
});
