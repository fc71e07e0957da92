// The sidebar's usage summary: the usage ledger (GET /qnb/api/usage) of the last 30 days
// per backend, folded under one line of totals. Costs are always marked as estimates.
import type { IBudget, IUsageGroup } from './api';
import { formatCount } from './format';

/** The period the summary covers, as the API's `since`. */
export const USAGE_SINCE = '30d';

function seconds(value: number | null): string {
  return value === null ? '—' : value < 100 ? `${value.toFixed(1)} s` : `${formatCount(Math.round(value))} s`;
}

function usd(value: number | null): string {
  return value === null ? '—' : `~$${value.toFixed(2)}`;
}

/** Totals of the groups (each job is in one backend group, so they add up). */
export function usageTotals(groups: readonly IUsageGroup[]): IUsageGroup {
  const sum = (key: 'queue_seconds' | 'run_seconds' | 'qpu_seconds' | 'cost_estimate'): number | null => {
    const known = groups.map(g => g[key]).filter((v): v is number => v !== null);
    return known.length ? known.reduce((a, b) => a + b, 0) : null;
  };
  return {
    group: 'total',
    jobs: groups.reduce((a, g) => a + g.jobs, 0),
    shots: groups.reduce((a, g) => a + g.shots, 0),
    circuits: groups.reduce((a, g) => a + g.circuits, 0),
    queue_seconds: sum('queue_seconds'),
    run_seconds: sum('run_seconds'),
    qpu_seconds: sum('qpu_seconds'),
    cost_estimate: sum('cost_estimate')
  };
}

/** The summary's one line: "30 days: 120 jobs · 12.5 QPU s · ~$4.80 (estimate)". */
export function usageLine(groups: readonly IUsageGroup[]): string {
  if (!groups.length) {
    return 'Usage, last 30 days: no finished jobs';
  }
  const total = usageTotals(groups);
  const parts = [`${formatCount(total.jobs)} job${total.jobs === 1 ? '' : 's'}`, `${formatCount(total.shots)} shots`];
  if (total.qpu_seconds !== null) {
    parts.push(`${seconds(total.qpu_seconds)} QPU`);
  }
  if (total.cost_estimate !== null) {
    parts.push(`${usd(total.cost_estimate)} (estimate)`);
  }
  return `Usage, last 30 days: ${parts.join(' · ')}`;
}

/**
 * A budget's line: "Budget user alice (month): $3.40 left of $20.00 · spent $16.60 ·
 * reserved $0.00", with its QPU seconds after a "·" when it caps those too.
 */
export function budgetLine(budget: IBudget): string {
  const parts: string[] = [];
  const money = (v: number): string => `$${v.toFixed(2)}`;
  const secs = (v: number): string => `${v.toFixed(1)} QPU s`;
  for (const [figures, fmt] of [
    [budget.usd, money],
    [budget.qpu_seconds, secs]
  ] as const) {
    if (figures) {
      parts.push(
        `${fmt(figures.left)} left of ${fmt(figures.cap)} · spent ${fmt(figures.spent)} · ` +
          `reserved ${fmt(figures.reserved)}`
      );
    }
  }
  return `Budget ${budget.budget} (${budget.period}): ${parts.join(' · ')}`;
}

/** `details.qnb-Usage`: the line, and a table per backend when opened; each budget's line under it. */
export function renderUsage(
  groups: readonly IUsageGroup[],
  doc: Document = document,
  budgets: readonly IBudget[] = []
): HTMLDetailsElement {
  const box = doc.createElement('details');
  box.className = 'qnb-Usage';
  const line = doc.createElement('summary');
  line.textContent = usageLine(groups);
  line.title = 'What the jobs that finished in the last 30 days used (qnb usage --since 30d)';
  box.appendChild(line);
  for (const budget of budgets) {
    const row = doc.createElement('div');
    row.className = 'qnb-BudgetLine';
    row.dataset.budget = budget.budget;
    row.textContent = budgetLine(budget);
    row.title = 'Paid backends only: spent (settled from the usage ledger), reserved by unfinished jobs (qnb usage --budget)';
    const low = [budget.usd, budget.qpu_seconds].some(f => f && f.left <= 0.1 * f.cap);
    row.classList.toggle('qnb-mod-low', low);
    box.appendChild(row);
  }
  if (!groups.length) {
    return box;
  }
  const table = doc.createElement('table');
  table.className = 'qnb-UsageTable';
  const head = ['Backend', 'Jobs', 'Shots', 'Run', 'QPU', 'Est. cost'];
  const rows = [...groups, usageTotals(groups)].map(g => [
    g.group,
    formatCount(g.jobs),
    formatCount(g.shots),
    seconds(g.run_seconds),
    seconds(g.qpu_seconds),
    usd(g.cost_estimate)
  ]);
  for (const [i, cells] of [head, ...rows].entries()) {
    const tr = doc.createElement('tr');
    for (const cell of cells) {
      const td = doc.createElement(i === 0 ? 'th' : 'td');
      td.textContent = cell;
      tr.appendChild(td);
    }
    table.appendChild(tr);
  }
  box.appendChild(table);
  return box;
}
