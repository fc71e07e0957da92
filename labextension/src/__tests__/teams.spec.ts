// Owners and teams in the sidebar: the Mine / Team switch and the owner filter reach the
// API's ?team=1 and ?owner=, rows name their owner (a click shows only that user's jobs),
// and the usage line shows each budget's spent, reserved and left.
import { IBudget, jobsQuery } from '../api';
import { NO_FILTERS } from '../model';
import { createJobTable, renderJobTable } from '../table';
import { createToolbar, renderToolbar } from '../toolbar';
import { budgetLine, renderUsage } from '../usage';
import { makeJob } from './fixtures/jobs';

const NOW = Date.parse('2026-11-21T04:31:00Z');

describe('team views', () => {
  it('asks the API for the team view and for one owner', () => {
    expect(jobsQuery({ team: '1', limit: 50 })).toBe('?team=1&limit=50');
    expect(jobsQuery({ owner: 'bob', team: null })).toBe('?owner=bob');
  });

  it('switches between Mine and Team, and shows and clears the owner filter', () => {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn() };
    const view = createToolbar(handlers);
    expect(Array.from(view.view.options).map(o => [o.value, o.text])).toEqual([
      ['', 'Mine'],
      ['1', 'Team']
    ]);
    renderToolbar(view, { ...NO_FILTERS }, []);
    expect(view.ownerItem.isHidden).toBe(true);
    view.view.value = '1';
    view.view.dispatchEvent(new Event('change'));
    expect(handlers.onFilter.mock.calls).toEqual([[{ team: '1', owner: null }]]);
    renderToolbar(view, { ...NO_FILTERS, team: '1', owner: 'bob' }, []);
    expect(view.view.value).toBe('1');
    expect(view.ownerItem.isHidden).toBe(false);
    expect(view.owner.dataset.owner).toBe('bob');
    expect(view.owner.textContent).toContain('bob');
    view.clearOwner.click();
    expect(handlers.onFilter.mock.calls[1]).toEqual([{ owner: null }]);
  });

  it('names each row\'s owner; a click on it filters by that owner without opening the row', () => {
    const onOpen = jest.fn();
    const onOwner = jest.fn();
    const view = createJobTable(onOpen, null, null, null, onOwner);
    const jobs = [makeJob({ id: 'aaaaaaaaaaaa', owner: 'alice' }), makeJob({ id: 'bbbbbbbbbbbb', owner: null })];
    renderJobTable(view, jobs, null, NOW);
    const [a, b] = Array.from(view.tbody.rows);
    const chip = a.cells[5].querySelector<HTMLButtonElement>('button.qnb-OwnerChip')!;
    expect(chip.textContent).toBe('alice');
    expect(b.cells[5].textContent).toBe(''); // a job from before owners were recorded
    chip.click();
    expect(onOwner.mock.calls).toEqual([['alice']]);
    expect(onOpen).not.toHaveBeenCalled();
    renderJobTable(view, [makeJob({ id: 'aaaaaaaaaaaa', owner: 'bob' })], null, NOW);
    expect(view.rows.get('aaaaaaaaaaaa')!.cells[5].textContent).toBe('bob');
  });
});

describe('budgets', () => {
  const budget: IBudget = {
    budget: 'user alice',
    period: 'month',
    usd: { cap: 20, spent: 16.6, reserved: 1.5, left: 1.9 },
    qpu_seconds: null
  };

  it('shows each budget\'s left, cap, spent and reserved under the usage line', () => {
    expect(budgetLine(budget)).toBe(
      'Budget user alice (month): $1.90 left of $20.00 · spent $16.60 · reserved $1.50'
    );
    const qpu: IBudget = {
      budget: 'group physics',
      period: 'day',
      usd: null,
      qpu_seconds: { cap: 60, spent: 12, reserved: 0, left: 48 }
    };
    expect(budgetLine(qpu)).toBe('Budget group physics (day): 48.0 QPU s left of 60.0 QPU s · spent 12.0 QPU s · reserved 0.0 QPU s');
    const box = renderUsage([], document, [budget, qpu]);
    const lines = Array.from(box.querySelectorAll<HTMLElement>('.qnb-BudgetLine'));
    expect(lines.map(l => l.dataset.budget)).toEqual(['user alice', 'group physics']);
    expect(lines.map(l => l.classList.contains('qnb-mod-low'))).toEqual([true, false]);
  });
});
