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
