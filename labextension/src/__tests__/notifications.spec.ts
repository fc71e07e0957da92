import { Notification } from '@jupyterlab/apputils';

import { DEFAULT_RULES, originKernel, rulesFrom, selectNotices, showNotices, tookSeconds } from '../notifications';
import { IJobNotice, noticeFor } from '../watcher';
import schema from '../../schema/plugin.json';
import { makeJob } from './fixtures/jobs';

jest.mock('@jupyterlab/apputils', () => ({
  Notification: { success: jest.fn(), error: jest.fn(), info: jest.fn() }
}));

const CREATED = '2026-11-21T04:30:00.000Z';
const after = (seconds: number): string => new Date(Date.parse(CREATED) + seconds * 1000).toISOString();

function ended(id: string, status: 'DONE' | 'ERROR' | 'CANCELLED', seconds: number, kernel = 'k1'): IJobNotice {
  const job = makeJob({
    id,
    status,
    created_at: CREATED,
    finished_at: after(seconds),
    origin: `kernel:${kernel}`,
    error: status === 'ERROR' ? 'simulator failed: out of memory' : null
  });
  return noticeFor(job)!;
}

describe('which endings notify', () => {
  const inK1 = (job: { origin: string | null }): boolean => job.origin === 'kernel:k1';

  it('keeps quick jobs watched in their own notebook quiet, and tells the rest', () => {
    const notices = [
      ended('aaaaaaaaaaa1', 'DONE', 1), // quick, in view: quiet
      ended('aaaaaaaaaaa2', 'DONE', 30), // long: tells
      ended('aaaaaaaaaaa3', 'DONE', 1, 'k2'), // quick but its notebook is not in view: tells
      ended('aaaaaaaaaaa4', 'ERROR', 0.2), // a failure always tells
      ended('aaaaaaaaaaa5', 'CANCELLED', 2) // quick, in view: quiet
    ];
    expect(selectNotices(notices, DEFAULT_RULES, inK1).map(n => n.id)).toEqual([
      'aaaaaaaaaaa2',
      'aaaaaaaaaaa3',
      'aaaaaaaaaaa4'
    ]);
    expect(selectNotices(notices, { ...DEFAULT_RULES, minSeconds: 0 }, inK1)).toHaveLength(5);
    expect(selectNotices(notices, { ...DEFAULT_RULES, notifications: false }, inK1)).toEqual([]);
  });

  it('reads the kernel of a job and how long it took', () => {
    expect(originKernel(makeJob({ origin: 'kernel:8c1e5a0b-1' }))).toBe('8c1e5a0b-1');
    expect(originKernel(makeJob({ origin: 'cli' }))).toBeNull();
    expect(tookSeconds(makeJob({ created_at: CREATED, finished_at: after(7.5) }))).toBe(7.5);
    expect(tookSeconds(makeJob({ finished_at: null }))).toBeNull();
  });

  it('takes its defaults from the settings schema and ignores bad values', () => {
    const defaults = Object.fromEntries(Object.entries(schema.properties).map(([key, spec]) => [key, spec.default]));
    expect(rulesFrom(defaults)).toEqual(DEFAULT_RULES);
    expect(Object.keys(DEFAULT_RULES).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(rulesFrom({ minSeconds: -3, collapseAbove: 'many', notifications: 'yes' })).toEqual(DEFAULT_RULES);
    expect(rulesFrom({ minSeconds: 60, collapseAbove: 10, desktop: true })).toEqual({
      notifications: true,
      minSeconds: 60,
      collapseAbove: 10,
      desktop: true
    });
  });
});

describe('showing them', () => {
  beforeEach(() => jest.clearAllMocks());
  const handlers = { showJob: jest.fn(), showPanel: jest.fn() };

  it('collapses a burst above the setting into one notification with counts', () => {
    const burst = [1, 2, 3, 4].map(i => ended(`bbbbbbbbbbb${i}`, i === 4 ? 'ERROR' : 'DONE', 10));
    showNotices(burst, { ...handlers, rules: DEFAULT_RULES });
    expect(Notification.error).toHaveBeenCalledTimes(1);
    expect((Notification.error as jest.Mock).mock.calls[0][0]).toBe('4 quantum jobs finished: 3 done, 1 failed');
    expect(Notification.success).not.toHaveBeenCalled();
    jest.clearAllMocks();
    showNotices(burst, { ...handlers, rules: { ...DEFAULT_RULES, collapseAbove: 10 } });
    expect(Notification.success).toHaveBeenCalledTimes(3);
    expect((Notification.error as jest.Mock).mock.calls[0][0]).toContain('out of memory'); // with its reason
  });

  it('sends a desktop notification only when asked and the page is hidden', () => {
    const desktop = jest.fn();
    const one = [ended('ccccccccccc1', 'DONE', 10)];
    showNotices(one, { ...handlers, rules: { ...DEFAULT_RULES, desktop: true }, hidden: () => false, desktop });
    expect(desktop).not.toHaveBeenCalled();
    showNotices(one, { ...handlers, rules: DEFAULT_RULES, hidden: () => true, desktop });
    expect(desktop).not.toHaveBeenCalled();
    showNotices(one, { ...handlers, rules: { ...DEFAULT_RULES, desktop: true }, hidden: () => true, desktop });
    expect(desktop).toHaveBeenCalledWith('Quantum Jobs', one[0].message);
  });
});
