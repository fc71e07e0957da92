// The counts histogram, drawn as an inline SVG whose colours come from
// JupyterLab CSS variables (see style/base.css), so it reads in any theme.
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

  // axes and gridlines
  const axis = el(doc, 'g', { class: 'qnb-HistogramAxis' });
  const plotRight = L.plotLeft + n * L.slot;
  for (const f of [0, 0.5, 1]) {
    const y = round(baseline - f * L.plotHeight);
    axis.appendChild(
      el(doc, 'line', {
        class: f === 0 ? 'qnb-HistogramBaseline' : 'qnb-HistogramGrid',
        x1: L.plotLeft,
        x2: round(Math.max(plotRight, L.plotLeft + 1)),
        y1: y,
        y2: y
      })
    );
    const tick = el(doc, 'text', {
      class: 'qnb-HistogramTick',
      x: L.plotLeft - 4,
      y: y + 3,
      'text-anchor': 'end'
    });
    tick.textContent = formatCount(Math.round(f * data.max));
    axis.appendChild(tick);
  }
  svg.appendChild(axis);

  const bars = el(doc, 'g', { class: 'qnb-HistogramBars' });
  data.bars.forEach((bar, i) => {
    const h = data.max > 0 ? (bar.count / data.max) * L.plotHeight : 0;
    const x = L.plotLeft + i * L.slot + (L.slot - L.barWidth) / 2;
    const rect = el(doc, 'rect', {
      class: 'qnb-Bar',
      x: round(x),
      y: round(baseline - h),
      width: round(L.barWidth),
      height: round(h),
      'data-key': bar.key,
      'data-count': bar.count
    });
    const title = el(doc, 'title', {});
    title.textContent = `${bar.key}: ${formatCount(bar.count)} (${formatPercent(bar.fraction)})`;
    rect.appendChild(title);
    bars.appendChild(rect);

    if (L.showLabels) {
      const cx = round(L.plotLeft + i * L.slot + L.slot / 2);
      const label = el(doc, 'text', {
        class: 'qnb-HistogramLabel',
        x: cx,
        y: baseline + 10,
        'text-anchor': 'end',
        transform: `rotate(-60 ${cx} ${baseline + 10})`
      });
      label.textContent = bar.key;
      bars.appendChild(label);
    }
  });
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

  const axis = el(doc, 'g', { class: 'qnb-HistogramAxis' });
  const plotRight = plotLeft + m * group;
  for (const f of [0, 0.5, 1]) {
    const y = round(baseline - f * plotHeight);
    axis.appendChild(
      el(doc, 'line', {
        class: f === 0 ? 'qnb-HistogramBaseline' : 'qnb-HistogramGrid',
        x1: plotLeft,
        x2: round(Math.max(plotRight, plotLeft + 1)),
        y1: y,
        y2: y
      })
    );
    const tick = el(doc, 'text', { class: 'qnb-HistogramTick', x: plotLeft - 4, y: y + 3, 'text-anchor': 'end' });
    tick.textContent = `${Math.round(f * data.max * 100)}%`;
    axis.appendChild(tick);
  }
  svg.appendChild(axis);

  const bars = el(doc, 'g', { class: 'qnb-HistogramBars' });
  data.columns.forEach((column, c) => {
    const left = plotLeft + c * group + 3;
    const label = labelOf(column);
    column.probabilities.forEach((p, i) => {
      const h = data.max > 0 ? (p / data.max) * plotHeight : 0;
      const rect = el(doc, 'rect', {
        class: `qnb-Bar ${seriesClass(i)}`,
        x: round(left + i * bar),
        y: round(baseline - h),
        width: round(Math.max(1, bar - 1)),
        height: round(h),
        'data-series': i,
        'data-key': column.key,
        'data-count': column.counts[i],
        'data-probability': p
      });
      if (column.key === '') {
        rect.setAttribute('data-others', String(column.outcomes));
      }
      const title = el(doc, 'title', {});
      title.textContent = `${label} (${series[i].label}): ${formatCount(column.counts[i])} (${formatPercent(p)})`;
      rect.appendChild(title);
      bars.appendChild(rect);
    });
    const cx = round(plotLeft + c * group + group / 2);
    const text = el(doc, 'text', {
      class: 'qnb-HistogramLabel',
      x: cx,
      y: baseline + 10,
      'text-anchor': 'end',
      transform: `rotate(-60 ${cx} ${baseline + 10})`
    });
    text.textContent = label;
    bars.appendChild(text);
  });
  svg.appendChild(bars);
  return svg;
}
