// The counts histogram, drawn as an inline SVG whose colours come from
// JupyterLab CSS variables (see style/base.css), so it reads in any theme.
// Positions and ticks come from d3's scales, the elements from d3's data joins.
import { scaleBand, ScaleBand, scaleLinear, ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';

import { formatCount, formatPercent } from './format';

export const SVG_NS = 'http://www.w3.org/2000/svg';

export interface IBar {
  key: string;
  count: number;
  /** count / total shots */
  fraction: number;
}

export interface IHistogramData {
  bars: IBar[];
  total: number;
  max: number;
}

/** Bars in outcome order (bitstrings sort as binary numbers of equal width). */
export function histogramData(counts: Record<string, number>): IHistogramData {
  const entries = Object.entries(counts ?? {}).filter(
    ([, n]) => typeof n === 'number' && Number.isFinite(n) && n >= 0
  );
  entries.sort((a, b) =>
    a[0].length !== b[0].length ? a[0].length - b[0].length : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
  );
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const max = entries.reduce((m, [, n]) => Math.max(m, n), 0);
  return {
    bars: entries.map(([key, count]) => ({ key, count, fraction: total > 0 ? count / total : 0 })),
    total,
    max
  };
}

/** The n most frequent outcomes, most frequent first (ties by key). */
export function topCounts(counts: Record<string, number>, n = 8): IBar[] {
  const { bars } = histogramData(counts);
  return [...bars].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, n);
}

export interface IHistogramLayout {
  width: number;
  height: number;
  plotTop: number;
  plotHeight: number;
  plotLeft: number;
  slot: number;
  barWidth: number;
  showLabels: boolean;
}

/** Geometry of the chart for n bars whose longest label has `keyLength` characters. */
export function histogramLayout(n: number, keyLength: number): IHistogramLayout {
  const plotLeft = 40;
  const plotTop = 12;
  const plotHeight = 120;
  const showLabels = n > 0 && n <= 32;
  const labelSpace = showLabels ? Math.min(90, 10 + keyLength * 6.5) : 6;
  let slot = n <= 8 ? 36 : n <= 16 ? 24 : n <= 64 ? 12 : 6;
  const maxPlotWidth = 640;
  if (n * slot > maxPlotWidth) {
    slot = maxPlotWidth / n;
  }
  // keep a one pixel gap while bars are wide enough to have one
  const barWidth = slot >= 4 ? slot * 0.78 : slot;
  return {
    width: plotLeft + Math.max(160, n * slot) + 8,
    height: plotTop + plotHeight + labelSpace,
    plotTop,
    plotHeight,
    plotLeft,
    slot,
    barWidth,
    showLabels
  };
}

/** An SVG element with attributes (shared by the charts). */
export function el<K extends keyof SVGElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string | number>
): SVGElementTagNameMap[K] {
  const node = doc.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, String(value));
  }
  return node;
}

/** Coordinates to two decimals, to keep the SVG small. */
export const round = (x: number): number => Math.round(x * 100) / 100;

/**
 * The value axis: 0 at `baseline` up to a round number at or above `max` at `top`
 * (d3's `nice`), so the gridlines fall on round values.
 */
export function valueScale(max: number, top: number, baseline: number): ScaleLinear<number, number> {
  return scaleLinear()
    .domain([0, max > 0 ? max : 1])
    .nice(3)
    .range([baseline, top]);
}

/** `keys` in slots of `slot` px from `left`, each bar `barWidth` wide in the middle of its slot. */
export function slotScale(keys: readonly string[], left: number, slot: number, barWidth: number): ScaleBand<string> {
  const gap = slot > 0 ? Math.max(0, 1 - barWidth / slot) : 0;
  return scaleBand<string>()
    .domain(keys)
    .range([left, left + keys.length * slot])
    .paddingInner(gap)
    .paddingOuter(gap / 2);
}

/**
 * Gridlines at the scale's round values across `left`..`right` (the one at 0 is the
 * baseline) and their labels left of the plot: `g.qnb-HistogramAxis`.
 */
function drawValueAxis(
  svg: SVGSVGElement,
  y: ScaleLinear<number, number>,
  left: number,
  right: number,
  label: (value: number) => string,
  integers: boolean
): void {
  const ticks = y.ticks(3).filter(v => !integers || Number.isInteger(v));
  const axis = select(svg).append('g').attr('class', 'qnb-HistogramAxis');
  axis
    .selectAll('line')
    .data(ticks)
    .join('line')
    .attr('class', v => (v === 0 ? 'qnb-HistogramBaseline' : 'qnb-HistogramGrid'))
    .attr('x1', left)
    .attr('x2', round(Math.max(right, left + 1)))
    .attr('y1', v => round(y(v)))
    .attr('y2', v => round(y(v)));
  axis
    .selectAll('text')
    .data(ticks)
    .join('text')
    .attr('class', 'qnb-HistogramTick')
    .attr('x', left - 4)
    .attr('y', v => round(y(v)) + 3)
    .attr('text-anchor', 'end')
    .text(label);
}

/** Outcome labels under the bars, turned 60 degrees: `text.qnb-HistogramLabel`. */
function drawLabels(group: SVGGElement, labels: readonly { text: string; x: number }[], baseline: number): void {
  select(group)
    .selectAll('text.qnb-HistogramLabel')
    .data(labels)
    .join('text')
    .attr('class', 'qnb-HistogramLabel')
    .attr('x', d => round(d.x))
    .attr('y', baseline + 10)
    .attr('text-anchor', 'end')
    .attr('transform', d => `rotate(-60 ${round(d.x)} ${baseline + 10})`)
    .text(d => d.text);
}

/**
 * Draw the counts of one circuit: `svg.qnb-Histogram` with one `rect.qnb-Bar`
 * per outcome (data-key, data-count), heights proportional to the counts.
 */
export function renderHistogram(
  counts: Record<string, number>,
  doc: Document = document
): SVGSVGElement {
  const data = histogramData(counts);
  const n = data.bars.length;
  const keyLength = data.bars.reduce((m, b) => Math.max(m, b.key.length), 1);
  const L = histogramLayout(n, keyLength);
  const baseline = L.plotTop + L.plotHeight;

  const svg = el(doc, 'svg', {
    class: 'qnb-Histogram',
    viewBox: `0 0 ${round(L.width)} ${round(L.height)}`,
    width: '100%',
    preserveAspectRatio: 'xMinYMin meet',
    role: 'img',
    'aria-label': `Counts histogram: ${n} outcome${n === 1 ? '' : 's'}, ${formatCount(data.total)} shots`
  });
  svg.style.maxWidth = `${Math.max(320, Math.round(L.width * 1.25))}px`;
  svg.dataset.total = String(data.total);

  const keys = data.bars.map(b => b.key);
  const x = slotScale(keys, L.plotLeft, L.slot, L.barWidth);
  const y = valueScale(data.max, L.plotTop, baseline);
  drawValueAxis(svg, y, L.plotLeft, L.plotLeft + n * L.slot, formatCount, true);

  const bars = el(doc, 'g', { class: 'qnb-HistogramBars' });
  select(bars)
    .selectAll('rect')
    .data(data.bars)
    .join('rect')
    .attr('class', 'qnb-Bar')
    .attr('x', d => round(x(d.key)!))
    .attr('y', d => round(y(d.count)))
    .attr('width', round(x.bandwidth()))
    .attr('height', d => round(baseline - y(d.count)))
    .attr('data-key', d => d.key)
    .attr('data-count', d => d.count)
    .append('title')
    .text(d => `${d.key}: ${formatCount(d.count)} (${formatPercent(d.fraction)})`);
  if (L.showLabels) {
    drawLabels(bars, data.bars.map(b => ({ text: b.key, x: x(b.key)! + x.bandwidth() / 2 })), baseline);
  }
  svg.appendChild(bars);
  return svg;
}

/** The small table under the chart: outcome, count, share. */
export function renderTopCounts(
  counts: Record<string, number>,
  n = 8,
  doc: Document = document
): HTMLTableElement {
  const table = doc.createElement('table');
  table.className = 'qnb-TopCounts';
  const head = table.createTHead().insertRow();
  for (const text of ['Outcome', 'Count', 'Share']) {
    const th = doc.createElement('th');
    th.textContent = text;
    head.appendChild(th);
  }
  const body = table.createTBody();
  const { total } = histogramData(counts);
  for (const bar of topCounts(counts, n)) {
    const row = body.insertRow();
    row.className = 'qnb-TopCountsRow';
    const key = row.insertCell();
    key.className = 'qnb-Bitstring';
    key.textContent = bar.key;
    row.insertCell().textContent = formatCount(bar.count);
    row.insertCell().textContent = formatPercent(total > 0 ? bar.count / total : 0);
  }
  return table;
}

/** Series colours (style/base.css): --jp-brand-color1, warn, success, error, info; then again, fainter. */
export const SERIES_COLOURS = 5;
/** Outcomes a grouped histogram draws before it gathers the rest into "others". */
export const MAX_GROUPED_OUTCOMES = 16;

/** One distribution of a grouped histogram: a label (in the legend) and its counts. */
export interface ISeries {
  label: string;
  counts: Record<string, number>;
}

/** One group of bars: an outcome (or "others"), one bar per series. */
export interface IGroupedColumn {
  /** The outcome; '' for the "others" column. */
  key: string;
  /** How many outcomes the column gathers: 1, or more for "others". */
  outcomes: number;
  /** Each series' count of the outcome(s). */
  counts: number[];
  /** Each series' probability of the outcome(s) (its counts normalised). */
  probabilities: number[];
}

export interface IGroupedHistogramData {
  columns: IGroupedColumn[];
  /** Distinct outcomes of all the series. */
  outcomes: number;
  /** Outcomes gathered into the "others" column (0: every outcome has its own). */
  hidden: number;
  /** The largest probability drawn. */
  max: number;
}

/** Positive, finite counts as a number (anything else counts as 0). */
const countOf = (counts: Record<string, number>, key: string): number => {
  const n = counts[key];
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
};

/**
 * The columns of a grouped histogram, drawn as probabilities so series of different
 * shot counts compare (as qnb.charts.counts_svg draws them in the notebook): every
 * outcome in bitstring order when there are at most `top`, otherwise the `top` most
 * probable (by their largest probability in any series), most probable first, and one
 * "others" column for the rest.
 */
export function groupedHistogramData(series: readonly ISeries[], top = MAX_GROUPED_OUTCOMES): IGroupedHistogramData {
  const totals = series.map(s => Object.keys(s.counts ?? {}).reduce((sum, k) => sum + countOf(s.counts, k), 0));
  const prob = (i: number, key: string): number => (totals[i] > 0 ? countOf(series[i].counts, key) / totals[i] : 0);
  const keys = new Set<string>();
  for (const s of series) {
    for (const key of Object.keys(s.counts ?? {})) {
      keys.add(key);
    }
  }
  const all = [...keys];
  const peak = new Map(all.map(key => [key, Math.max(0, ...series.map((_, i) => prob(i, key)))]));
  let shown: string[];
  let rest: string[] = [];
  if (all.length <= top) {
    shown = histogramData(Object.fromEntries(all.map(k => [k, 0]))).bars.map(b => b.key);
  } else {
    const ranked = [...all].sort((a, b) => peak.get(b)! - peak.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
    shown = ranked.slice(0, top);
    rest = ranked.slice(top);
  }
  const columns: IGroupedColumn[] = shown.map(key => ({
    key,
    outcomes: 1,
    counts: series.map(s => countOf(s.counts, key)),
    probabilities: series.map((_, i) => prob(i, key))
  }));
  if (rest.length) {
    columns.push({
      key: '',
      outcomes: rest.length,
      counts: series.map(s => rest.reduce((sum, k) => sum + countOf(s.counts, k), 0)),
      probabilities: series.map((_, i) => rest.reduce((sum, k) => sum + prob(i, k), 0))
    });
  }
  const max = columns.reduce((m, c) => Math.max(m, ...c.probabilities), 0);
  return { columns, outcomes: all.length, hidden: rest.length, max };
}

/** The longest legend label drawn in full (longer ones end in "…"; the tooltip has them whole). */
const LEGEND_CHARS = 44;

/**
 * Draw several distributions as grouped bars: `svg.qnb-Histogram.qnb-GroupedHistogram`
 * with a legend (`g.qnb-Legend`, one `g.qnb-LegendItem[data-series]` per series) and,
 * per column, one `rect.qnb-Bar.qnb-Series-<i mod 5>[data-series][data-key][data-count]`
 * per series (`[data-others]` on the "others" column), heights proportional to the
 * probabilities. Colours come from the series classes (style/base.css).
 */
export function renderGroupedHistogram(
  series: readonly ISeries[],
  doc: Document = document,
  top = MAX_GROUPED_OUTCOMES
): SVGSVGElement {
  const data = groupedHistogramData(series, top);
  const k = Math.max(1, series.length);
  const m = data.columns.length;
  const labelOf = (c: IGroupedColumn): string => (c.key === '' ? `others (${formatCount(c.outcomes)})` : c.key);
  const keyLength = data.columns.reduce((n, c) => Math.max(n, labelOf(c).length), 1);
  const bar = k * m <= 16 ? 14 : k * m <= 64 ? 8 : 5;
  const group = bar * k + 6;
  const plotLeft = 40;
  const legendLine = 14;
  const legendTop = 6;
  const plotTop = legendTop + series.length * legendLine + 8;
  const plotHeight = 120;
  const labelSpace = Math.min(110, 10 + keyLength * 6.5);
  const plotWidth = Math.max(160, m * group);
  const longest = series.reduce((n, s) => Math.max(n, Math.min(LEGEND_CHARS, s.label.length)), 0);
  const width = Math.max(plotLeft + plotWidth + 8, 24 + longest * 6.2);
  const height = plotTop + plotHeight + labelSpace;
  const baseline = plotTop + plotHeight;

  const svg = el(doc, 'svg', {
    class: 'qnb-Histogram qnb-GroupedHistogram',
    viewBox: `0 0 ${round(width)} ${round(height)}`,
    width: '100%',
    preserveAspectRatio: 'xMinYMin meet',
    role: 'img',
    'aria-label':
      `Counts of ${series.length} job${series.length === 1 ? '' : 's'} as probabilities: ` +
      `${formatCount(data.outcomes)} outcome${data.outcomes === 1 ? '' : 's'}` +
      (data.hidden ? `, the ${formatCount(m - 1)} most probable drawn` : '')
  });
  svg.style.maxWidth = `${Math.max(320, Math.round(width * 1.25))}px`;
  svg.dataset.series = String(series.length);
  svg.dataset.outcomes = String(data.outcomes);
  svg.dataset.hidden = String(data.hidden);

  const seriesClass = (i: number): string =>
    `qnb-Series qnb-Series-${i % SERIES_COLOURS}${i >= SERIES_COLOURS ? ' qnb-mod-repeat' : ''}`;

  const legend = el(doc, 'g', { class: 'qnb-Legend' });
  series.forEach((s, i) => {
    const y = legendTop + i * legendLine;
    const item = el(doc, 'g', { class: 'qnb-LegendItem', 'data-series': i });
    item.appendChild(el(doc, 'rect', { class: `qnb-LegendSwatch ${seriesClass(i)}`, x: 4, y, width: 10, height: 10 }));
    const text = el(doc, 'text', { class: 'qnb-LegendLabel', x: 20, y: y + 9 });
    text.textContent = s.label.length > LEGEND_CHARS ? `${s.label.slice(0, LEGEND_CHARS - 1)}…` : s.label;
    const title = el(doc, 'title', {});
    title.textContent = s.label;
    item.append(title, text);
    legend.appendChild(item);
  });
  svg.appendChild(legend);

  const columnKeys = data.columns.map((_, c) => String(c));
  const x = slotScale(columnKeys, plotLeft, group, group - 6);
  const inner = scaleBand<number>()
    .domain(series.map((_, i) => i))
    .range([0, x.bandwidth()]);
  const y = valueScale(data.max, plotTop, baseline);
  drawValueAxis(svg, y, plotLeft, plotLeft + m * group, v => `${Math.round(v * 100)}%`, false);

  const cells = data.columns.flatMap((column, c) =>
    column.probabilities.map((p, i) => ({ column, c, i, p, label: labelOf(column) }))
  );
  const bars = el(doc, 'g', { class: 'qnb-HistogramBars' });
  const rects = select(bars)
    .selectAll('rect')
    .data(cells)
    .join('rect')
    .attr('class', d => `qnb-Bar ${seriesClass(d.i)}`)
    .attr('x', d => round(x(String(d.c))! + inner(d.i)!))
    .attr('y', d => round(y(d.p)))
    .attr('width', round(Math.max(1, inner.bandwidth() - 1)))
    .attr('height', d => round(baseline - y(d.p)))
    .attr('data-series', d => d.i)
    .attr('data-key', d => d.column.key)
    .attr('data-count', d => d.column.counts[d.i])
    .attr('data-probability', d => d.p)
    .attr('data-others', d => (d.column.key === '' ? String(d.column.outcomes) : null));
  rects
    .append('title')
    .text(d => `${d.label} (${series[d.i].label}): ${formatCount(d.column.counts[d.i])} (${formatPercent(d.p)})`);
  drawLabels(
    bars,
    data.columns.map((column, c) => ({ text: labelOf(column), x: plotLeft + c * group + group / 2 })),
    baseline
  );
  svg.appendChild(bars);
  return svg;
}
