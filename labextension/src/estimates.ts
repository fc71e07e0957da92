// A resource estimate's figures, one circuit at a time (the Quantum Development Kit's
// estimator, run by the azure-estimator backend): the physical qubits and the runtime
// first, a bar of where the physical qubits go (the algorithm beside the T factories),
// the figures as a list, and the error budget's split as a bar. Plain DOM and inline
// SVG, coloured by JupyterLab CSS variables (style/base.css); widths come from d3.
import { scaleLinear } from 'd3-scale';

import type { IResourceEstimate } from './job';
import { formatCount, formatPercent } from './format';
import { el, round } from './histogram';
import { h } from './dom';

/** Width of the split bars, in SVG units (they shrink with the panel). */
export const SPLIT_WIDTH = 260;

/** The figures listed under the bars, in order: label and key. */
export const ESTIMATE_FIGURES: ReadonlyArray<readonly [string, keyof IResourceEstimate]> = [
  ['Physical qubits', 'physical_qubits'],
  ['Runtime', 'runtime'],
  ['Logical qubits', 'logical_qubits'],
  ['Logical depth', 'logical_depth'],
  ['Code distance', 'code_distance'],
  ['T states', 't_states'],
  ['T factories', 't_factories'],
  ['Qubits per T factory', 't_factory_qubits'],
  ['Qubits for the algorithm', 'qubits_for_algorithm'],
  ['Qubits for T factories', 'qubits_for_t_factories'],
  ['rQOPS', 'rqops']
];

/** What the estimator calls each part of the error budget. */
export const BUDGET_LABELS: Record<string, string> = {
  logical: 'logical errors',
  tstates: 'T states',
  rotations: 'rotations'
};

export interface ISplitPart {
  key: string;
  label: string;
  value: number;
}

export interface ISplitSegment extends ISplitPart {
  x: number;
  width: number;
  /** The part's share of the total, 0 to 1. */
  share: number;
}

/** Parts of a total laid side by side along `width`; parts of zero (or no) value are left out. */
export function splitSegments(parts: readonly ISplitPart[], width = SPLIT_WIDTH): ISplitSegment[] {
  const kept = parts.filter(p => Number.isFinite(p.value) && p.value > 0);
  const total = kept.reduce((a, p) => a + p.value, 0);
  if (!(total > 0)) {
    return [];
  }
  const x = scaleLinear().domain([0, total]).range([0, width]);
  let start = 0;
  return kept.map(p => {
    const segment = { ...p, x: round(x(start)), width: round(x(start + p.value) - x(start)), share: p.value / total };
    start += p.value;
    return segment;
  });
}

/**
 * `svg.qnb-SplitBar` of `rect.qnb-SplitPart[data-part]` segments, each titled with its
 * value and share, under the description `label`; null when nothing is to be split.
 */
export function renderSplitBar(
  parts: readonly ISplitPart[],
  label: string,
  format: (n: number) => string,
  doc: Document = document
): SVGSVGElement | null {
  const segments = splitSegments(parts);
  if (!segments.length) {
    return null;
  }
  const describe = (s: ISplitSegment): string => `${s.label}: ${format(s.value)} (${formatPercent(s.share)})`;
  const svg = el(doc, 'svg', {
    class: 'qnb-SplitBar',
    viewBox: `0 0 ${SPLIT_WIDTH} 12`,
    width: SPLIT_WIDTH,
    height: 12,
    role: 'img',
    'aria-label': `${label}: ${segments.map(describe).join(', ')}`
  });
  for (const s of segments) {
    const rect = el(doc, 'rect', { class: 'qnb-SplitPart', x: s.x, y: 0, width: s.width, height: 12 });
    rect.dataset.part = s.key;
    rect.dataset.value = String(s.value);
    const title = el(doc, 'title', {});
    title.textContent = describe(s);
    rect.appendChild(title);
    svg.appendChild(rect);
  }
  return svg;
}

/** A bar's legend: each part's label and share, `span.qnb-SplitLegendItem[data-part]`. */
function renderLegend(parts: readonly ISplitPart[], format: (n: number) => string, doc: Document): HTMLElement {
  const legend = h(doc, 'div', 'qnb-SplitLegend');
  for (const s of splitSegments(parts)) {
    const item = h(doc, 'span', 'qnb-SplitLegendItem');
    item.dataset.part = s.key;
    item.append(h(doc, 'span', 'qnb-SplitSwatch'), `${s.label} ${format(s.value)} (${formatPercent(s.share)})`);
    legend.appendChild(item);
  }
  return legend;
}

/** A probability of the error budget to three significant digits: "0.001", "0.000333". */
export function formatBudget(p: number): string {
  return Number.isFinite(p) ? String(Number(p.toPrecision(3))) : '—';
}

/** A figure as the list shows it: counts with separators, the runtime as the estimator words it. */
export function formatFigure(estimate: IResourceEstimate, key: keyof IResourceEstimate): string {
  const value = estimate[key];
  if (typeof value === 'number' && Number.isFinite(value)) {
    return formatCount(value);
  }
  if (typeof value === 'string' && value) {
    return value;
  }
  return '—';
}

/**
 * `div.qnb-Estimate[data-circuit]` for circuit `index` of `count`: its headline
 * (physical qubits and runtime), the split of the physical qubits, the figures
 * (`dl.qnb-EstimateFigures`) and the split of the error budget.
 */
export function renderEstimate(
  estimate: IResourceEstimate,
  index: number,
  count: number,
  doc: Document = document
): HTMLDivElement {
  const node = h(doc, 'div', 'qnb-Estimate');
  node.dataset.circuit = String(index);
  const headline = h(doc, 'p', 'qnb-EstimateHeadline');
  if (count > 1) {
    headline.append(`Circuit ${index + 1} of ${count}: `);
  }
  const runtime = h(doc, 'b', '', formatFigure(estimate, 'runtime'));
  if (estimate.runtime_ns !== null && estimate.runtime_ns !== undefined) {
    runtime.title = `${formatCount(estimate.runtime_ns)} ns`;
  }
  headline.append(h(doc, 'b', '', formatFigure(estimate, 'physical_qubits')), ' physical qubits · runtime ', runtime);
  node.appendChild(headline);

  const qubits: ISplitPart[] = [
    { key: 'algorithm', label: 'algorithm', value: estimate.qubits_for_algorithm ?? 0 },
    { key: 't_factories', label: 'T factories', value: estimate.qubits_for_t_factories ?? 0 }
  ];
  const qubitBar = renderSplitBar(qubits, 'Physical qubits', formatCount, doc);
  if (qubitBar) {
    const box = h(doc, 'div', 'qnb-EstimateSplit qnb-QubitSplit');
    box.append(h(doc, 'div', 'qnb-EstimateCaption', 'Where the physical qubits go'), qubitBar, renderLegend(qubits, formatCount, doc));
    node.appendChild(box);
  }

  const figures = h(doc, 'dl', 'qnb-EstimateFigures');
  for (const [label, key] of ESTIMATE_FIGURES) {
    const dd = h(doc, 'dd', '', formatFigure(estimate, key));
    dd.dataset.figure = key;
    figures.append(h(doc, 'dt', '', label), dd);
  }
  node.appendChild(figures);

  const budget: ISplitPart[] = Object.entries(estimate.error_budget ?? {}).map(([key, value]) => ({
    key,
    label: BUDGET_LABELS[key] ?? key,
    value
  }));
  const total = budget.reduce((a, p) => a + (Number.isFinite(p.value) ? p.value : 0), 0);
  const budgetBar = renderSplitBar(budget, 'Error budget', formatBudget, doc);
  if (budgetBar) {
    const box = h(doc, 'div', 'qnb-EstimateSplit qnb-BudgetSplit');
    box.append(
      h(doc, 'div', 'qnb-EstimateCaption', `Error budget ${formatBudget(total)}, split`),
      budgetBar,
      renderLegend(budget, formatBudget, doc)
    );
    node.appendChild(box);
  }
  return node;
}

/** `section.qnb-Counts.qnb-Estimates`: every circuit's estimate, or a message when none was recorded. */
export function renderEstimates(estimates: readonly IResourceEstimate[], doc: Document = document): HTMLElement {
  const section = h(doc, 'section', 'qnb-Counts qnb-Estimates');
  const heading = h(doc, 'div', 'qnb-CountsHeader');
  heading.appendChild(h(doc, 'h4', '', 'Resource estimate'));
  section.appendChild(heading);
  if (!estimates.length) {
    section.appendChild(h(doc, 'p', 'qnb-DetailsMessage', 'No estimates were recorded for this job.'));
    return section;
  }
  estimates.forEach((estimate, i) => section.appendChild(renderEstimate(estimate, i, estimates.length, doc)));
  return section;
}
