// "Compare": the bar under the jobs table (how many jobs are checked, Compare, Clear)
// and the comparison view of the checked jobs: their counts as grouped bars (circuit 0
// of each, as probabilities) and, for each pair, the total variation distance and the
// Hellinger fidelity (src/compare.ts). Plain DOM with injected callbacks.
import { Toolbar } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { compareLabels, comparePairs, MAX_COMPARE } from './compare';
import { formatCount, jobLabel } from './format';
import { renderGroupedHistogram } from './histogram';
import { compareBlocker, IJob } from './job';
import { h } from './dom';

export interface ICompareBarHandlers {
  onCompare: () => void;
  onClear: () => void;
}

export interface ICompareBar {
  /** `jp-Toolbar.qnb-CompareBar`, hidden while no job is checked. */
  toolbar: Toolbar;
  /** `.qnb-CheckedCount`: "2 selected". */
  count: HTMLElement;
  /** `button.qnb-CompareButton`, enabled for 2 to `MAX_COMPARE` checked jobs. */
  compare: HTMLButtonElement;
  /** `button.qnb-ClearChecksButton`: unchecks every job. */
  clear: HTMLButtonElement;
}

function button(className: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `jp-mod-styled qnb-Button ${className}`;
  b.textContent = label;
  b.addEventListener('click', () => {
    if (!b.disabled) {
      onClick();
    }
  });
  return b;
}

/** The bar of the checked jobs, between the table and the pager. */
export function createCompareBar(handlers: ICompareBarHandlers): ICompareBar {
  const compare = button('jp-mod-accept qnb-CompareButton', 'Compare', handlers.onCompare);
  const count = document.createElement('span');
  count.className = 'qnb-CheckedCount';
  count.setAttribute('aria-live', 'polite');
  const clear = button('qnb-ClearChecksButton', 'Clear', handlers.onClear);
  clear.title = 'Uncheck every job';
  const toolbar = new Toolbar();
  toolbar.addClass('qnb-CompareBar');
  toolbar.node.setAttribute('aria-label', 'Compare the checked jobs');
  toolbar.addItem('compare', new Widget({ node: compare }));
  toolbar.addItem('count', new Widget({ node: count }));
  toolbar.addItem('spacer', Toolbar.createSpacerItem());
  toolbar.addItem('clear', new Widget({ node: clear }));
  toolbar.hide();
  return { toolbar, count, compare, clear };
}

/** Show how many jobs are checked, and enable Compare for 2 to `MAX_COMPARE` of them. */
export function renderCompareBar(view: ICompareBar, checked: number): void {
  const text = `${formatCount(checked)} selected`;
  if (view.count.textContent !== text) {
    view.count.textContent = text;
  }
  const enabled = checked >= 2 && checked <= MAX_COMPARE;
  if (view.compare.disabled === enabled) {
    view.compare.disabled = !enabled;
  }
  const title =
    checked < 2
      ? 'Select one more finished job to compare'
      : checked > MAX_COMPARE
        ? `Compare at most ${MAX_COMPARE} jobs at once`
        : `Compare the counts of the ${formatCount(checked)} selected jobs`;
  if (view.compare.title !== title) {
    view.compare.title = title;
  }
  if (view.toolbar.isHidden === checked > 0) {
    view.toolbar.setHidden(checked === 0);
  }
}


/** A measure with 4 decimals, as `%qcompare` prints it. */
export function formatMeasure(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : '—';
}

export interface IComparisonHandlers {
  /** Back to the list. */
  onBack: () => void;
}

/**
 * `div.qnb-Comparison` of the compared jobs: a back button, a note on what is compared,
 * the grouped histogram (`svg.qnb-GroupedHistogram`) and `table.qnb-CompareTable` with a
 * `tr.qnb-ComparePair[data-a][data-b]` per pair (A, B, TVD, Hellinger fidelity).
 */
export class ComparisonView {
  constructor(handlers: IComparisonHandlers, doc: Document = document) {
    this._handlers = handlers;
    this._doc = doc;
    this.node = h(doc, 'div', 'qnb-Comparison');
  }

  readonly node: HTMLDivElement;

  /** Move the focus to the back button (when the view opens). */
  focus(): void {
    this.node.querySelector<HTMLButtonElement>('.qnb-BackButton')?.focus();
  }

  /**
   * Show the comparison of the jobs `ids` (in this order), of which `jobs` holds those
   * fetched (null: not found); redraws only when that changed.
   */
  update(ids: readonly string[], jobs: ReadonlyMap<string, IJob | null>): void {
    const key = JSON.stringify(ids.map(id => (jobs.has(id) ? (jobs.get(id)?.updated_at ?? 'missing') : 'loading')));
    const idsKey = ids.join(',');
    if (key === this._key && idsKey === this._ids) {
      return;
    }
    this._key = key;
    this._ids = idsKey;
    this._render(ids, jobs);
  }

  private _render(ids: readonly string[], jobs: ReadonlyMap<string, IJob | null>): void {
    const doc = this._doc;
    const focused = this.node.contains(doc.activeElement);
    const header = h(doc, 'div', 'qnb-DetailsHeader');
    const back = h(doc, 'button', 'jp-mod-styled qnb-Button qnb-BackButton', '← All jobs');
    back.type = 'button';
    back.title = 'Back to the jobs table (the selection stays)';
    back.addEventListener('click', () => this._handlers.onBack());
    header.append(back, h(doc, 'h3', 'qnb-DetailsTitle', `Comparison of ${formatCount(ids.length)} jobs`));
    const parts: HTMLElement[] = [header];

    const pending = ids.filter(id => !jobs.has(id));
    this.node.classList.toggle('qnb-mod-loading', pending.length > 0);
    this.node.dataset.jobs = ids.join(' ');
    if (pending.length) {
      const text = `Loading the counts of ${formatCount(pending.length)} of the jobs…`;
      parts.push(h(doc, 'p', 'qnb-DetailsMessage', text));
      this.node.replaceChildren(...parts);
      if (focused) {
        back.focus();
      }
      return;
    }

    const compared: IJob[] = [];
    const notes: string[] = [];
    for (const id of ids) {
      const job = jobs.get(id);
      if (!job) {
        notes.push(`Job ${id} was not found: it is left out.`);
        continue;
      }
      const blocker = compareBlocker({ ...job, counts: job.counts ?? [] });
      if (blocker) {
        notes.push(`${jobLabel(job)} (${job.id}) is left out: ${blocker.charAt(0).toLowerCase()}${blocker.slice(1)}.`);
        continue;
      }
      compared.push(job);
      const n = job.counts!.length;
      if (n > 1) {
        const unit = job.primitive ? 'PUB' : 'circuit';
        notes.push(`${jobLabel(job)} (${job.id}) has ${formatCount(n)} ${unit}s: the first (index 0) is compared.`);
      }
    }
    for (const note of notes) {
      parts.push(h(doc, 'p', 'qnb-CompareNote', note));
    }
    if (compared.length < 2) {
      parts.push(h(doc, 'p', 'qnb-DetailsMessage', 'Fewer than two of these jobs have counts to compare.'));
      this.node.replaceChildren(...parts);
      if (focused) {
        back.focus();
      }
      return;
    }

    const labels = compareLabels(compared);
    const counts = compared.map(job => job.counts![0]);
    const series = compared.map((job, i) => ({ label: `${labels[i]} · ${job.backend}`, counts: counts[i] }));
    const chart = h(doc, 'div', 'qnb-HistogramBox');
    const svg = renderGroupedHistogram(series, doc);
    chart.appendChild(svg);
    parts.push(chart);
    const hidden = Number(svg.dataset.hidden);
    if (hidden > 0) {
      const outcomes = Number(svg.dataset.outcomes);
      parts.push(
        h(
          doc,
          'p',
          'qnb-CompareNote',
          `${formatCount(outcomes - hidden)} most probable of ${formatCount(outcomes)} outcomes drawn, ` +
            `the rest as "others"; the measures use every outcome.`
        )
      );
    }

    const table = h(doc, 'table', 'qnb-CompareTable');
    const headRow = table.createTHead().insertRow();
    const heads: [string, string][] = [
      ['A', 'The first job of the pair'],
      ['B', 'The second job of the pair'],
      ['TVD', 'Total variation distance, ½ Σ |p − q|: 0 for equal distributions, 1 for disjoint ones'],
      [
        'Fidelity',
        'Hellinger fidelity, (Σ √(p·q))² as qiskit.quantum_info.hellinger_fidelity: 1 for equal, 0 for disjoint'
      ]
    ];
    for (const [text, title] of heads) {
      const th = h(doc, 'th', '', text);
      th.title = title;
      th.scope = 'col';
      headRow.appendChild(th);
    }
    const body = table.createTBody();
    for (const pair of comparePairs(counts)) {
      const row = body.insertRow();
      row.className = 'qnb-ComparePair';
      const a = compared[pair.a];
      const b = compared[pair.b];
      row.dataset.a = a.id;
      row.dataset.b = b.id;
      for (const [job, label] of [
        [a, labels[pair.a]],
        [b, labels[pair.b]]
      ] as [IJob, string][]) {
        const cell = row.insertCell();
        cell.className = 'qnb-CompareJob';
        cell.textContent = label;
        cell.title = `${job.id} on ${job.backend}, ${formatCount(job.shots)} shots`;
      }
      const tvd = row.insertCell();
      tvd.className = 'qnb-CompareTvd';
      tvd.textContent = formatMeasure(pair.tvd);
      const fidelity = row.insertCell();
      fidelity.className = 'qnb-CompareFidelity';
      fidelity.textContent = formatMeasure(pair.fidelity);
    }
    const caption = table.createCaption();
    caption.textContent = 'Each pair, over the counts of each job\'s first circuit (index 0) as probabilities';
    parts.push(table);
    this.node.replaceChildren(...parts);
    if (focused) {
      back.focus();
    }
  }

  private _doc: Document;
  private _handlers: IComparisonHandlers;
  private _ids: string | null = null;
  private _key: string | null = null;
}
