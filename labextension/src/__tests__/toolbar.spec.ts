import type { IBackend } from '../api';
import { createPager, renderPager } from '../pager';
import { backendTitle, createToolbar, renderToolbar } from '../toolbar';
import { makeJob } from './fixtures/jobs';

const backend = (name: string, extra: Partial<IBackend> = {}): IBackend => ({
  name,
  provider: 'aer',
  num_qubits: 30,
  simulator: true,
  default: false,
  reachable: true,
  detail: null,
  ...extra
});

describe('toolbar', () => {
  it('filters by status and backend through its selects', () => {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn() };
    const view = createToolbar(handlers);
    expect(view.toolbar.hasClass('qnb-Toolbar')).toBe(true);
    expect(view.status.classList.contains('qnb-StatusFilter')).toBe(true);
    expect(view.status.parentElement!.classList.contains('jp-select-wrapper')).toBe(true);
    expect(Array.from(view.status.options).map(o => [o.value, o.text])).toEqual([
      ['', 'All statuses'],
      ['QUEUED', 'Queued'],
      ['RUNNING', 'Running'],
      ['DONE', 'Done'],
      ['ERROR', 'Error'],
      ['CANCELLED', 'Cancelled']
    ]);
    renderToolbar(view, { status: null, backend: null, session: null }, [backend('aer'), backend('manila')]);
    view.status.value = 'DONE';
    view.status.dispatchEvent(new Event('change'));
    view.backend.value = 'manila';
    view.backend.dispatchEvent(new Event('change'));
    view.backend.value = '';
    view.backend.dispatchEvent(new Event('change'));
    expect(handlers.onFilter.mock.calls).toEqual([[{ status: 'DONE' }], [{ backend: 'manila' }], [{ backend: null }]]);
    expect(Array.from(view.toolbar.names())).toEqual(['status', 'backend', 'refresh', 'session']);
  });

  it('shows a session filter as a removable chip, and clears it with ×', () => {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn() };
    const view = createToolbar(handlers);
    const filters = { status: null, backend: null, session: null };
    renderToolbar(view, filters, []);
    expect(view.sessionItem.isHidden).toBe(true);
    expect(view.session.dataset.session).toBeUndefined();

    renderToolbar(view, { ...filters, session: '0123456789ab' }, []);
    expect(view.sessionItem.isHidden).toBe(false);
    expect(view.sessionItem.node.contains(view.session)).toBe(true);
    expect(view.session.classList.contains('qnb-SessionFilter')).toBe(true);
    expect(view.session.dataset.session).toBe('0123456789ab');
    expect(view.session.textContent).toBe('session 0123456789ab×');
    expect(view.session.querySelector('.qnb-SessionId')!.textContent).toBe('0123456789ab');
    expect(view.clearSession.tagName).toBe('BUTTON');
    expect(view.clearSession.getAttribute('aria-label')).toBe('Show jobs of every session');
    expect(view.session.contains(view.clearSession)).toBe(true);

    view.clearSession.click();
    expect(handlers.onFilter.mock.calls).toEqual([[{ session: null }]]);
    renderToolbar(view, filters, []);
    expect(view.sessionItem.isHidden).toBe(true);
    expect(view.session.dataset.session).toBeUndefined();
  });

  it('lists the backends, keeping a filtered one the server no longer has', () => {
    const view = createToolbar({ onFilter: jest.fn(), onRefresh: jest.fn() });
    renderToolbar(view, { status: 'ERROR', backend: 'gone', session: null }, [
      backend('aer'),
      backend('fake_manila', { provider: 'ibm-fake', num_qubits: 5, simulator: false, reachable: false })
    ]);
    expect(Array.from(view.backend.options).map(o => [o.value, o.title])).toEqual([
      ['', ''],
      ['aer', 'aer, simulator, 30 qubits'],
      ['fake_manila', 'ibm-fake, hardware, 5 qubits, unreachable'],
      ['gone', '']
    ]);
    expect([view.status.value, view.backend.value]).toEqual(['ERROR', 'gone']);
    renderToolbar(view, { status: null, backend: null, session: null }, [backend('aer'), backend('fake_manila')]);
    expect(view.backend.options).toHaveLength(3);
    expect([view.status.value, view.backend.value]).toEqual(['', '']);
    const first = view.backend.options[1];
    renderToolbar(view, { status: null, backend: 'aer', session: null }, [backend('aer'), backend('fake_manila')]);
    expect(view.backend.options[1]).toBe(first); // same names: the options stay
    expect(backendTitle(backend('x', { num_qubits: null }))).toBe('aer, simulator');
  });
});

describe('pager', () => {
  const page = (offset: number, shown: number, total: number) => ({
    jobs: Array.from({ length: shown }, () => makeJob()),
    offset,
    limit: 50,
    total
  });

  it('shows the range and enables the buttons that lead somewhere', () => {
    const handlers = { onPrevious: jest.fn(), onNext: jest.fn() };
    const view = createPager(handlers);
    expect(view.toolbar.hasClass('qnb-Pager')).toBe(true);
    const state = () => [view.range.textContent, view.previous.enabled, view.next.enabled];

    renderPager(view, null, false);
    expect(state()).toEqual(['Loading…', false, false]);
    renderPager(view, page(0, 50, 10000), true);
    expect(state()).toEqual(['1–50 of 10,000', false, true]);
    renderPager(view, page(50, 50, 10000), true);
    expect(state()).toEqual(['51–100 of 10,000', true, true]);
    renderPager(view, page(50, 50, 10000), false);
    expect(state()).toEqual(['51–100 of 10,000', false, false]);
    renderPager(view, page(9950, 50, 10000), true);
    expect(state()).toEqual(['9,951–10,000 of 10,000', true, false]);
    renderPager(view, page(0, 0, 0), true);
    expect(state()).toEqual(['0 of 0', false, false]);

    view.previous.onClick();
    view.next.onClick();
    expect([handlers.onPrevious.mock.calls.length, handlers.onNext.mock.calls.length]).toEqual([1, 1]);
  });
});
