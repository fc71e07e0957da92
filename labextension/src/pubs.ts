// The results of Qiskit primitive jobs, one PUB at a time: an Estimator PUB's
// expectation values with their standard errors (a value ± std, or a line chart
// with an error band and a table), a Sampler PUB's counts per parameter point
// (the counts histogram, with a picker for the point). Plain DOM and inline SVG,
// coloured by JupyterLab CSS variables (style/base.css); scales, ticks and the
// line and band come from d3.
import { scaleLinear } from 'd3-scale';
import { area, line } from 'd3-shape';

import type { IEstimatorPubResult, ISamplerPubResult, NestedNumbers } from './job';
import { formatCount, formatShape, formatValue } from './format';
import { el, renderHistogram, renderTopCounts, round } from './histogram';
import { h } from './dom';

/** Rows of an expectation value table before it says "… n more". */
export const MAX_EV_ROWS = 32;
/** Error bars are drawn for sweeps up to this many points (the band is always drawn). */
export const MAX_ERROR_BARS = 60;
/** Points are drawn as dots for sweeps up to this many points. */
export const MAX_EV_DOTS = 200;
/** A Sampler PUB with more points than this gets a range input instead of a `<select>`. */
export const MAX_SELECT_POINTS = 256;

/** The numbers of a nested array in C order (row-major, last index fastest); non-numbers as NaN. */
export function flattenNumbers(value: NestedNumbers | null | undefined): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) {
        walk(x);
      }
    } else {
      out.push(typeof v === 'number' ? v : NaN);
    }
  };
  if (value !== null && value !== undefined) {
    walk(value);
  }
  return out;
}

/** How many points a shape has: 1 for a scalar (`[]`). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The multi-index of the flat (C order) index `flat` in `shape`. */
export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = Math.max(1, shape[d]);
    index[d] = rest % size;
    rest = Math.floor(rest / size);
  }
  return index;
}

/** A point's index as Qiskit writes it: "3" in a 1-D sweep, "(1, 2)" in more dimensions. */
export function formatIndex(flat: number, shape: readonly number[]): string {
  if (shape.length <= 1) {
    return String(flat);
  }
  return `(${unravelIndex(flat, shape).join(', ')})`;
}

/** "scalar", "5 points", "2×3 · 6 points". */
export function describeShape(shape: readonly number[], points: number): string {
  if (!shape.length) {
    return 'scalar';
  }
  const count = `${formatCount(points)} point${points === 1 ? '' : 's'}`;
  return shape.length === 1 ? count : `${formatShape(shape)} · ${count}`;
}

export interface IEvPoint {
  /** Flat index, C order. */
  index: number;
  /** Expectation value (NaN when missing). */
  ev: number;
  /** Its standard error (NaN when missing). */
  std: number;
}

/** An Estimator PUB's values, flattened in C order. */
export function estimatorPoints(pub: IEstimatorPubResult): IEvPoint[] {
  const evs = flattenNumbers(pub.evs);
  const stds = flattenNumbers(pub.stds);
  return evs.map((ev, index) => ({ index, ev, std: stds[index] ?? NaN }));
}

/** A standard error to draw: missing ones as 0. */
const spread = (p: IEvPoint): number => (Number.isFinite(p.std) ? Math.abs(p.std) : 0);

/** The value range a chart of `points` shows: every ev ± std, with a margin. */
export function evRange(points: readonly IEvPoint[]): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    if (Number.isFinite(p.ev)) {
      lo = Math.min(lo, p.ev - spread(p));
      hi = Math.max(hi, p.ev + spread(p));
    }
  }
  if (!Number.isFinite(lo)) {
    return { lo: -1, hi: 1 };
  }
  const width = hi - lo;
  const pad = width > 1e-12 ? width * 0.08 : Math.max(Math.abs(hi), 1) * 0.1;
  return { lo: lo - pad, hi: hi + pad };
}

export interface IEvChartLayout {
  width: number;
  height: number;
  plotLeft: number;
  plotTop: number;
  plotWidth: number;
  plotHeight: number;
}

/** Geometry of the chart of n points. */
export function evChartLayout(n: number): IEvChartLayout {
  const plotLeft = 48;
  const plotTop = 10;
  const plotHeight = 110;
  const plotWidth = Math.min(480, Math.max(160, n * 28));
  return {
    width: plotLeft + plotWidth + 12,
    height: plotTop + plotHeight + 32,
    plotLeft,
    plotTop,
    plotWidth,
    plotHeight
  };
}

/** Round values for about `target` gridlines between lo and hi (d3's ticks: 1, 2 or 5 × 10^k apart). */
export function niceTicks(lo: number, hi: number, target = 4): { ticks: number[]; step: number } {
  if (!(hi > lo) || !Number.isFinite(hi - lo)) {
    return { ticks: [], step: 0 };
  }
  const ticks = scaleLinear().domain([lo, hi]).ticks(target);
  const step = ticks.length > 1 ? Number((ticks[1] - ticks[0]).toPrecision(12)) : hi - lo;
  return { ticks, step };
}

/** A tick label with as many decimals as the step needs: "-0.5", "0", "1", "0.995". */
function tickLabel(v: number, step: number): string {
  if (Math.abs(v) < step / 2) {
    return '0';
  }
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) {
    return v.toExponential(1).replace('e+', 'e');
  }
  const decimals = Math.min(10, Math.max(0, -Math.floor(Math.log10(step))));
  return String(Number(v.toFixed(decimals)));
}

/** Runs of consecutive points with a finite value (a missing value breaks the line). */
function finiteRuns(points: readonly IEvPoint[]): IEvPoint[][] {
  const runs: IEvPoint[][] = [];
  let run: IEvPoint[] = [];
  for (const p of points) {
    if (Number.isFinite(p.ev)) {
      run.push(p);
    } else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) {
    runs.push(run);
  }
  return runs;
}

/**
 * A line chart of expectation values over their (flat) index: `svg.qnb-EvChart`
 * with an error band (`path.qnb-EvBand`, ev ± std), error bars for short sweeps
 * (`path.qnb-EvErrorBar`), the line (`path.qnb-EvLine`) and one
 * `circle.qnb-EvPoint` (data-index, data-ev, data-std) per point.
 */
export function renderEvChart(
  points: readonly IEvPoint[],
  shape: readonly number[],
  doc: Document = document
): SVGSVGElement {
  const n = points.length;
  const L = evChartLayout(n);
  const { lo, hi } = evRange(points);
  const baseline = L.plotTop + L.plotHeight;
  const plotRight = L.plotLeft + L.plotWidth;
  const xScale = scaleLinear()
    .domain(n <= 1 ? [-1, 1] : [0, n - 1])
    .range([L.plotLeft, plotRight]);
  const yScale = scaleLinear().domain([lo, hi]).range([baseline, L.plotTop]);
  const x = (i: number): number => round(xScale(i));
  const y = (v: number): number => round(yScale(v));

  const svg = el(doc, 'svg', {
    class: 'qnb-EvChart',
    viewBox: `0 0 ${round(L.width)} ${round(L.height)}`,
    width: '100%',
    preserveAspectRatio: 'xMinYMin meet',
    role: 'img',
    'aria-label': `Expectation values with standard errors at ${formatCount(n)} point${n === 1 ? '' : 's'}`
  });
  svg.style.maxWidth = `${Math.round(L.width * 1.25)}px`;

  // axes: the baseline, gridlines at round values, the zero line, index ticks
  const axis = el(doc, 'g', { class: 'qnb-EvAxis' });
  axis.appendChild(el(doc, 'line', { class: 'qnb-EvBaseline', x1: L.plotLeft, x2: plotRight, y1: baseline, y2: baseline }));
  const { ticks, step } = niceTicks(lo, hi);
  for (const v of ticks) {
    const yy = y(v);
    axis.appendChild(el(doc, 'line', { class: 'qnb-EvGrid', x1: L.plotLeft, x2: plotRight, y1: yy, y2: yy }));
    const label = el(doc, 'text', { class: 'qnb-EvTick', x: L.plotLeft - 4, y: yy + 3, 'text-anchor': 'end' });
    label.textContent = tickLabel(v, step);
    axis.appendChild(label);
  }
  if (lo < 0 && hi > 0) {
    axis.appendChild(el(doc, 'line', { class: 'qnb-EvZero', x1: L.plotLeft, x2: plotRight, y1: y(0), y2: y(0) }));
  }
  const xticks = n <= 1 ? [0] : Array.from(new Set([0, Math.round((n - 1) / 2), n - 1]));
  for (const i of xticks) {
    axis.appendChild(el(doc, 'line', { class: 'qnb-EvBaseline', x1: x(i), x2: x(i), y1: baseline, y2: baseline + 3 }));
    const label = el(doc, 'text', { class: 'qnb-EvTick', x: x(i), y: baseline + 13, 'text-anchor': 'middle' });
    label.textContent = String(i);
    axis.appendChild(label);
  }
  const caption = el(doc, 'text', {
    class: 'qnb-EvTick qnb-EvCaption',
    x: round(L.plotLeft + L.plotWidth / 2),
    y: baseline + 26,
    'text-anchor': 'middle'
  });
  caption.textContent = shape.length > 1 ? 'flat index (C order)' : 'parameter index';
  axis.appendChild(caption);
  svg.appendChild(axis);

  // a line and a band through the runs of two or more finite values (d3's shapes, which
  // break at a missing value); a lone value shows as its dot
  const finite = (p: IEvPoint): boolean => Number.isFinite(p.ev);
  const joined = finiteRuns(points).some(run => run.length >= 2);
  if (joined) {
    const band = area<IEvPoint>()
      .defined(finite)
      .x(p => x(p.index))
      .y0(p => y(p.ev - spread(p)))
      .y1(p => y(p.ev + spread(p)))
      .digits(2);
    svg.appendChild(el(doc, 'path', { class: 'qnb-EvBand', d: band(points) ?? '' }));
  }
  if (n <= MAX_ERROR_BARS) {
    for (const p of points) {
      const s = spread(p);
      if (!Number.isFinite(p.ev) || s <= 0) {
        continue;
      }
      const cx = x(p.index);
      const top = y(p.ev + s);
      const bottom = y(p.ev - s);
      const left = round(cx - 3);
      const right = round(cx + 3);
      const d = `M${cx} ${top} V${bottom} M${left} ${top} H${right} M${left} ${bottom} H${right}`;
      svg.appendChild(el(doc, 'path', { class: 'qnb-EvErrorBar', d }));
    }
  }
  if (joined) {
    const through = line<IEvPoint>()
      .defined(finite)
      .x(p => x(p.index))
      .y(p => y(p.ev))
      .digits(2);
    svg.appendChild(el(doc, 'path', { class: 'qnb-EvLine', d: through(points) ?? '' }));
  }
  if (n <= MAX_EV_DOTS) {
    for (const p of points) {
      if (!Number.isFinite(p.ev)) {
        continue;
      }
      const dot = el(doc, 'circle', {
        class: 'qnb-EvPoint',
        cx: x(p.index),
        cy: y(p.ev),
        r: n <= MAX_ERROR_BARS ? 2.75 : 1.75,
        'data-index': p.index,
        'data-ev': p.ev,
        'data-std': p.std
      });
      const title = el(doc, 'title', {});
      title.textContent = `${formatIndex(p.index, shape)}: ${formatValue(p.ev)} ± ${formatValue(p.std)}`;
      dot.appendChild(title);
      svg.appendChild(dot);
    }
  }
  return svg;
}

/** The compact table under the chart: index, value, standard error (at most `maxRows` rows). */
export function renderEvTable(
  points: readonly IEvPoint[],
  shape: readonly number[],
  maxRows = MAX_EV_ROWS,
  doc: Document = document
): HTMLTableElement {
  const table = doc.createElement('table');
  table.className = 'qnb-EvTable';
  const multi = shape.length > 1;
  const headers = multi ? ['#', 'Index', 'Value', '± Std err'] : ['Index', 'Value', '± Std err'];
  const head = table.createTHead().insertRow();
  for (const text of headers) {
    const th = doc.createElement('th');
    th.textContent = text;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const p of points.slice(0, maxRows)) {
    const row = body.insertRow();
    row.className = 'qnb-EvRow';
    row.dataset.index = String(p.index);
    row.insertCell().textContent = String(p.index);
    if (multi) {
      row.insertCell().textContent = formatIndex(p.index, shape);
    }
    row.insertCell().textContent = formatValue(p.ev);
    row.insertCell().textContent = formatValue(p.std);
  }
  if (points.length > maxRows) {
    const more = table.createTFoot().insertRow().insertCell();
    more.colSpan = headers.length;
    more.className = 'qnb-EvMore';
    more.textContent = `… ${formatCount(points.length - maxRows)} more (%qresult has them all)`;
  }
  return table;
}


/** `div.qnb-PubHeader`: "PUB 2" and what it holds. */
function pubHeader(doc: Document, index: number, meta: string): HTMLDivElement {
  const header = h(doc, 'div', 'qnb-PubHeader');
  const title = h(doc, 'span', 'qnb-PubTitle', `PUB ${index + 1}`);
  header.append(title, h(doc, 'span', 'qnb-PubMeta', meta));
  return header;
}

/**
 * One Estimator PUB: `section.qnb-Pub.qnb-EstimatorPub[data-pub-index]`. A scalar PUB
 * reads "value ± std" (`.qnb-EvScalar`); a sweep draws `renderEvChart` and
 * `renderEvTable`, higher dimensions flattened in C order (and saying so).
 */
export function renderEstimatorPub(pub: IEstimatorPubResult, index: number, doc: Document = document): HTMLElement {
  const shape = Array.isArray(pub.shape) ? pub.shape : [];
  const points = estimatorPoints(pub);
  const section = h(doc, 'section', 'qnb-Pub qnb-EstimatorPub');
  section.dataset.pubIndex = String(index);
  section.dataset.shape = shape.join(',');
  section.appendChild(pubHeader(doc, index, describeShape(shape, points.length)));
  if (!points.length) {
    section.appendChild(h(doc, 'p', 'qnb-DetailsMessage', 'No expectation values were recorded.'));
    return section;
  }
  if (!shape.length && points.length === 1) {
    const [p] = points;
    const scalar = h(doc, 'div', 'qnb-EvScalar');
    scalar.title = 'Expectation value ± standard error';
    scalar.append(
      h(doc, 'span', 'qnb-EvValue', formatValue(p.ev)),
      h(doc, 'span', 'qnb-EvStd', `± ${formatValue(p.std)}`)
    );
    section.appendChild(scalar);
    return section;
  }
  if (shape.length > 1) {
    section.appendChild(
      h(
        doc,
        'p',
        'qnb-PubNote',
        `Shape ${formatShape(shape)}, flattened in C order (the last index varies fastest).`
      )
    );
  }
  const box = h(doc, 'div', 'qnb-EvChartBox');
  box.appendChild(renderEvChart(points, shape, doc));
  section.append(box, renderEvTable(points, shape, MAX_EV_ROWS, doc));
  return section;
}

/** What the point picker calls point `i` of `n`: "Point 2 · 3 of 5", "Point (1, 0) · 4 of 6". */
export function pointLabel(i: number, n: number, shape: readonly number[]): string {
  return `Point ${formatIndex(i, shape)} · ${formatCount(i + 1)} of ${formatCount(n)}`;
}

/**
 * One Sampler PUB: `section.qnb-Pub.qnb-SamplerPub[data-pub-index][data-point]` with the
 * counts histogram of one parameter point and, when there are several, a picker
 * (`select.qnb-PointSelect`, or `input.qnb-PointRange` for many points) that redraws it
 * and reports the choice through `onPoint`.
 */
export function renderSamplerPub(
  pub: ISamplerPubResult,
  index: number,
  point = 0,
  onPoint?: (point: number) => void,
  doc: Document = document
): HTMLElement {
  const shape = Array.isArray(pub.shape) ? pub.shape : [];
  const counts = Array.isArray(pub.counts) ? pub.counts : [];
  const n = counts.length;
  const section = h(doc, 'section', 'qnb-Pub qnb-SamplerPub');
  section.dataset.pubIndex = String(index);
  section.dataset.shape = shape.join(',');
  const registers = (pub.registers ?? []).join(', ');
  const header = pubHeader(doc, index, describeShape(shape, n) + (registers ? ` · ${registers}` : ''));
  section.appendChild(header);
  if (!n) {
    section.appendChild(h(doc, 'p', 'qnb-DetailsMessage', 'No counts were recorded for this PUB.'));
    return section;
  }
  let current = Math.max(0, Math.min(Math.floor(point) || 0, n - 1));
  const box = h(doc, 'div', 'qnb-HistogramBox');
  let top = renderTopCounts(counts[current] ?? {}, 8, doc);
  const draw = (): void => {
    section.dataset.point = String(current);
    box.replaceChildren(renderHistogram(counts[current] ?? {}, doc));
  };

  if (n > 1) {
    const picker = h(doc, 'div', 'qnb-PointPicker');
    const choose = (value: number): void => {
      current = value;
      draw();
      const fresh = renderTopCounts(counts[current] ?? {}, 8, doc);
      top.replaceWith(fresh);
      top = fresh;
      onPoint?.(current);
    };
    if (n <= MAX_SELECT_POINTS) {
      const wrapper = h(doc, 'div', 'jp-select-wrapper');
      const select = h(doc, 'select', 'jp-mod-styled qnb-PointSelect');
      select.title = 'Parameter point';
      select.setAttribute('aria-label', `Parameter point of PUB ${index + 1}`);
      for (let i = 0; i < n; i++) {
        const option = h(doc, 'option', '', pointLabel(i, n, shape));
        option.value = String(i);
        select.appendChild(option);
      }
      select.value = String(current);
      select.addEventListener('change', () => choose(Number(select.value)));
      wrapper.appendChild(select);
      picker.appendChild(wrapper);
    } else {
      const range = h(doc, 'input', 'qnb-PointRange');
      range.type = 'range';
      range.min = '0';
      range.max = String(n - 1);
      range.step = '1';
      range.value = String(current);
      range.title = 'Parameter point';
      range.setAttribute('aria-label', `Parameter point of PUB ${index + 1}`);
      const label = h(doc, 'span', 'qnb-PointLabel', pointLabel(current, n, shape));
      range.addEventListener('input', () => {
        label.textContent = pointLabel(Number(range.value), n, shape);
        choose(Number(range.value));
      });
      picker.append(range, label);
    }
    header.appendChild(picker);
  }
  draw();
  section.append(box, top);
  return section;
}
