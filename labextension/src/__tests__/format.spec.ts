import { JOB_STATUSES } from '../job';
import {
  formatCount,
  formatDuration,
  formatGateCounts,
  formatPageRange,
  formatShape,
  formatValue,
  jobKind,
  primitiveLabel,
  formatPercent,
  formatRelativeTime,
  jobLabel,
  jobTiming,
  jobTitle,
  renderStatusBadge,
  statusInfo
} from '../format';
import { makeJob } from './fixtures/jobs';

describe('statusInfo / renderStatusBadge', () => {
  const expected = {
    QUEUED: { label: 'Queued', className: 'qnb-mod-queued', iconName: 'queued' },
    RUNNING: { label: 'Running', className: 'qnb-mod-running', iconName: 'running' },
    DONE: { label: 'Done', className: 'qnb-mod-done', iconName: 'done' },
    ERROR: { label: 'Error', className: 'qnb-mod-error', iconName: 'error' },
    CANCELLED: { label: 'Cancelled', className: 'qnb-mod-cancelled', iconName: 'cancelled' }
  };

  it.each(JOB_STATUSES.map(s => [s]))('describes %s', status => {
    const info = statusInfo(status);
    expect(info).toMatchObject({ status, ...expected[status] });
    expect(info.svg).toMatch(/^<svg [^>]*viewBox="0 0 16 16"/);
    expect(info.description.length).toBeGreaterThan(5);
  });

  it('gives each status its own class and icon', () => {
    const infos = JOB_STATUSES.map(statusInfo);
    expect(new Set(infos.map(i => i.className)).size).toBe(5);
    expect(new Set(infos.map(i => i.svg)).size).toBe(5);
  });

  it.each(JOB_STATUSES.map(s => [s]))('renders a %s badge', status => {
    const badge = renderStatusBadge(status);
    expect(badge.classList.contains('qnb-Status')).toBe(true);
    expect(badge.classList.contains(expected[status].className)).toBe(true);
    expect(badge.dataset.status).toBe(status);
    expect(badge.querySelector('.qnb-StatusLabel')!.textContent).toBe(expected[status].label);
    const icon = badge.querySelector<HTMLElement>('.qnb-StatusIcon')!;
    expect(icon.dataset.icon).toBe(expected[status].iconName);
    expect(icon.querySelector('svg')).not.toBeNull();
  });

  it('does not break on a status it does not know', () => {
    const info = statusInfo('INITIALIZING');
    expect(info).toMatchObject({ label: 'Initializing', className: 'qnb-mod-unknown', iconName: 'unknown' });
    expect(renderStatusBadge('INITIALIZING').textContent).toBe('Initializing');
  });

  it('colours only through CSS (no hard-coded colours besides currentColor)', () => {
    for (const status of JOB_STATUSES) {
      expect(statusInfo(status).svg).not.toMatch(/#[0-9a-f]{3,6}|rgb\(/i);
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [null, '—'],
    [undefined, '—'],
    [NaN, '—'],
    [-5, '0 ms'],
    [0, '0 ms'],
    [850, '850 ms'],
    [999.6, '1000 ms'],
    [1000, '1.0 s'],
    [4240, '4.2 s'],
    [9960, '10 s'],
    [42000, '42 s'],
    [59499, '59 s'],
    [60000, '1m 00s'],
    [187000, '3m 07s'],
    [3599000, '59m 59s'],
    [3600000, '1h 00m'],
    [7500000, '2h 05m'],
    [86400000, '1d 00h'],
    [273600000, '3d 04h']
  ])('formats %p ms as %p', (ms, text) => {
    expect(formatDuration(ms as number | null | undefined)).toBe(text);
  });
});

describe('formatRelativeTime', () => {
  const now = Date.parse('2026-11-21T12:00:00.000Z');
  const ago = (ms: number): string => new Date(now - ms).toISOString();
  it.each([
    [ago(0), 'just now'],
    [ago(4000), 'just now'],
    [ago(-30000), 'just now'],
    [ago(12000), '12 s ago'],
    [ago(59000), '59 s ago'],
    [ago(5 * 60000), '5 min ago'],
    [ago(3 * 3600000), '3 h ago'],
    [ago(2 * 86400000), '2 d ago'],
    [ago(30 * 86400000), '2026-10-22']
  ])('formats %s', (iso, text) => {
    expect(formatRelativeTime(iso, now)).toBe(text);
  });

  it('has a compact form for the table', () => {
    expect(formatRelativeTime(ago(1000), now, true)).toBe('now');
    expect(formatRelativeTime(ago(12000), now, true)).toBe('12s ago');
    expect(formatRelativeTime(ago(5 * 60000), now, true)).toBe('5m ago');
    expect(formatRelativeTime(ago(3 * 3600000), now, true)).toBe('3h ago');
    expect(formatRelativeTime(ago(2 * 86400000), now, true)).toBe('2d ago');
  });

  it('shows a dash for missing or bad times', () => {
    expect(formatRelativeTime(null, now)).toBe('—');
    expect(formatRelativeTime('not a date', now)).toBe('—');
  });
});

describe('jobTiming', () => {
  const now = Date.parse('2026-11-21T04:31:00.123Z');
  it('counts waiting time for QUEUED jobs', () => {
    const t = jobTiming(makeJob({ status: 'QUEUED' }), now);
    expect(t).toMatchObject({ kind: 'wait', ms: 60000, text: '1m 00s' });
  });
  it('counts running time from started_at for RUNNING jobs', () => {
    const t = jobTiming(makeJob({ status: 'RUNNING', started_at: '2026-11-21T04:30:58.123Z' }), now);
    expect(t).toMatchObject({ kind: 'run', ms: 2000, text: '2.0 s' });
  });
  it.each([['DONE'], ['ERROR'], ['CANCELLED']] as const)('gives the run time of a %s job', status => {
    const t = jobTiming(makeJob({ status }), now);
    expect(t).toMatchObject({ kind: 'run', ms: 2500, text: '2.5 s' });
  });
  it('shows a dash for a job cancelled before it started', () => {
    const t = jobTiming(makeJob({ status: 'CANCELLED', started_at: null }), now);
    expect(t).toMatchObject({ kind: 'none', ms: null, text: '—' });
  });
});

describe('numbers and labels', () => {
  it('formats counts and page ranges', () => {
    expect(formatCount(10000)).toBe('10,000');
    expect(formatPageRange(0, 50, 10000)).toBe('1–50 of 10,000');
    expect(formatPageRange(9950, 50, 10000)).toBe('9,951–10,000 of 10,000');
    expect(formatPageRange(50, 7, 57)).toBe('51–57 of 57');
    expect(formatPageRange(0, 0, 0)).toBe('0 of 0');
  });

  it('names jobs by name, else by id', () => {
    expect(jobLabel({ id: '3f2a9c1b7d4e', name: 'bell' })).toBe('bell');
    expect(jobLabel({ id: '3f2a9c1b7d4e', name: null })).toBe('3f2a9c1b7d4e');
    expect(jobLabel({ id: '3f2a9c1b7d4e', name: '  ' })).toBe('3f2a9c1b7d4e');
    expect(jobTitle({ id: '3f2a9c1b7d4e', name: 'bell' })).toBe('bell (3f2a9c1b7d4e)');
    expect(jobTitle({ id: '3f2a9c1b7d4e', name: null })).toBe('3f2a9c1b7d4e');
  });

  it('formats percentages and gate counts', () => {
    expect(formatPercent(0.51)).toBe('51.0%');
    expect(formatGateCounts({ h: 1, cx: 1, measure: 2 })).toBe('measure 2, cx 1, h 1');
    expect(formatGateCounts({})).toBe('—');
    expect(formatGateCounts(null)).toBe('—');
  });
});

describe('primitive jobs', () => {
  it('names the primitive and counts the PUBs', () => {
    expect(primitiveLabel('estimator')).toBe('Estimator');
    expect(primitiveLabel('sampler')).toBe('Sampler');
    expect(jobKind(makeJob())).toBeNull();
    expect(jobKind(makeJob({ primitive: 'estimator', num_circuits: 3, shots: 0 }))).toBe('Estimator · 3 PUBs');
    expect(jobKind(makeJob({ primitive: 'sampler', num_circuits: 1 }))).toBe('Sampler · 1 PUB');
  });

  it('formats values and shapes', () => {
    expect(formatValue(0.9958375574905639)).toBe('0.9958');
    expect(formatValue(-12.345678)).toBe('-12.3457');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(0.0000123)).toBe('1.23e-5');
    expect(formatValue(123456)).toBe('1.23e5');
    expect(formatValue(NaN)).toBe('—');
    expect(formatValue(null)).toBe('—');
    expect(formatShape([])).toBe('scalar');
    expect(formatShape([5])).toBe('5');
    expect(formatShape([2, 3])).toBe('2×3');
  });
});
