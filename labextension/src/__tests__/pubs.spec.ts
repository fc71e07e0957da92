// Primitive results, one PUB at a time: Estimator values (scalar, 1-D sweep, more
// dimensions) and Sampler counts per parameter point with the point picker.
import type { IEstimatorPubResult, ISamplerPubResult } from '../job';
import {
  describeShape,
  estimatorPoints,
  evRange,
  flattenNumbers,
  formatIndex,
  MAX_ERROR_BARS,
  MAX_EV_ROWS,
  MAX_SELECT_POINTS,
  niceTicks,
  pointLabel,
  renderEstimatorPub,
  renderEvChart,
  renderSamplerPub,
  unravelIndex
} from '../pubs';
import { PUBS } from './fixtures/jobs';

const num = (node: Element, name: string): number => Number(node.getAttribute(name));
const dots = (root: Element): SVGCircleElement[] => Array.from(root.querySelectorAll<SVGCircleElement>('circle.qnb-EvPoint'));
const bars = (root: Element): Record<string, number> =>
  Object.fromEntries(
    Array.from(root.querySelectorAll<SVGRectElement>('svg.qnb-Histogram rect.qnb-Bar')).map(b => [
      b.dataset.key,
      Number(b.dataset.count)
    ])
  );
const rows = (table: Element): string[][] =>
  Array.from(table.querySelectorAll('tbody tr')).map(tr => Array.from(tr.children).map(td => td.textContent ?? ''));

describe('shapes and indices', () => {
  it('flattens nested values in C order', () => {
    expect(flattenNumbers(0.5)).toEqual([0.5]);
    expect(flattenNumbers(PUBS.grid.evs)).toEqual([1, 0.5, -0.5, 0.25, 0, -0.25]);
    expect(flattenNumbers([[1, null as unknown as number], [3]])).toEqual([1, NaN, 3]);
    expect(flattenNumbers(undefined)).toEqual([]);
  });

  it('names points by their multi-index', () => {
    expect(unravelIndex(4, [2, 3])).toEqual([1, 1]);
    expect(unravelIndex(5, [2, 3])).toEqual([1, 2]);
    expect(formatIndex(3, [5])).toBe('3');
    expect(formatIndex(2, [2, 3])).toBe('(0, 2)');
    expect(describeShape([], 1)).toBe('scalar');
    expect(describeShape([5], 5)).toBe('5 points');
    expect(describeShape([2, 3], 6)).toBe('2×3 · 6 points');
    expect(pointLabel(1, 3, [3])).toBe('Point 1 · 2 of 3');
    expect(pointLabel(4, 6, [2, 3])).toBe('Point (1, 1) · 5 of 6');
  });

  it('pairs each value with its standard error', () => {
    expect(estimatorPoints(PUBS.sweep)[1]).toEqual({ index: 1, ev: 0.7071, std: 0.011 });
    expect(estimatorPoints(PUBS.scalar)).toEqual([{ index: 0, ev: PUBS.scalar.evs, std: PUBS.scalar.stds }]);
  });

  it('charts every value with its error bar inside the range', () => {
    const { lo, hi } = evRange(estimatorPoints(PUBS.sweep));
    expect(lo).toBeLessThan(-0.998 - 0.0021);
    expect(hi).toBeGreaterThan(1);
    expect(niceTicks(lo, hi).ticks).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(0.988, 1.002).ticks).toEqual([0.99, 0.995, 1]);
    expect(niceTicks(0, 0).ticks).toEqual([]);
    // one value, no spread: still a range around it
    const one = evRange([{ index: 0, ev: 0.5, std: 0 }]);
    expect(one.lo).toBeLessThan(0.5);
    expect(one.hi).toBeGreaterThan(0.5);
  });
});

describe('renderEstimatorPub', () => {
  it('shows a scalar PUB (the contract fixture) as value ± std', () => {
    const section = renderEstimatorPub(PUBS.scalar, 0);
    expect(section.classList.contains('qnb-EstimatorPub')).toBe(true);
    expect(section.dataset.pubIndex).toBe('0');
    expect(section.querySelector('.qnb-PubTitle')!.textContent).toBe('PUB 1');
    expect(section.querySelector('.qnb-PubMeta')!.textContent).toBe('scalar');
    expect(section.querySelector('.qnb-EvValue')!.textContent).toBe('0.9958');
    expect(section.querySelector('.qnb-EvStd')!.textContent).toBe('± 0');
    expect(section.querySelector('svg')).toBeNull();
    expect(section.querySelector('table')).toBeNull();
  });

  it('draws a 1-D sweep of 5 points as a line with error bars, and a table', () => {
    const section = renderEstimatorPub(PUBS.sweep, 1);
    expect(section.querySelector('.qnb-PubTitle')!.textContent).toBe('PUB 2');
    expect(section.querySelector('.qnb-PubMeta')!.textContent).toBe('5 points');
    expect(section.querySelector('.qnb-PubNote')).toBeNull();
    const svg = section.querySelector('svg.qnb-EvChart')!;
    expect(svg.getAttribute('aria-label')).toBe('Expectation values with standard errors at 5 points');
    const points = dots(svg);
    expect(points.map(p => p.dataset.index)).toEqual(['0', '1', '2', '3', '4']);
    expect(points.map(p => Number(p.dataset.ev))).toEqual(PUBS.sweep.evs);
    expect(points[1].querySelector('title')!.textContent).toBe('1: 0.7071 ± 0.0110');
    // left to right by index; higher values higher up (smaller y)
    const xs = points.map(p => num(p, 'cx'));
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    const ys = points.map(p => num(p, 'cy'));
    for (let i = 1; i < ys.length; i++) {
      expect(ys[i]).toBeGreaterThan(ys[i - 1]);
    }
    expect(svg.querySelectorAll('path.qnb-EvLine')).toHaveLength(1);
    expect(svg.querySelectorAll('path.qnb-EvBand')).toHaveLength(1);
    // an error bar per point with a nonzero std (the first has none), around its point
    const errorBars = Array.from(svg.querySelectorAll('path.qnb-EvErrorBar'));
    expect(errorBars).toHaveLength(4);
    const [, x, top, bottom] = /^M([\d.]+) ([\d.]+) V([\d.]+)/.exec(errorBars[0].getAttribute('d')!)!.map(Number);
    expect(x).toBe(xs[1]);
    expect(top).toBeLessThan(ys[1]);
    expect(bottom).toBeGreaterThan(ys[1]);
    // the zero line, as the values change sign
    expect(svg.querySelector('line.qnb-EvZero')).not.toBeNull();
    expect(svg.querySelector('.qnb-EvCaption')!.textContent).toBe('parameter index');
    const labels = (anchor: string): string[] =>
      Array.from(svg.querySelectorAll(`text.qnb-EvTick[text-anchor="${anchor}"]`)).map(t => t.textContent!);
    expect(labels('end')).toEqual(['-1', '-0.5', '0', '0.5', '1']);
    expect(labels('middle')).toEqual(['0', '2', '4', 'parameter index']);

    const table = section.querySelector('table.qnb-EvTable')!;
    expect(Array.from(table.querySelectorAll('th')).map(th => th.textContent)).toEqual(['Index', 'Value', '± Std err']);
    expect(rows(table)).toEqual([
      ['0', '1.0000', '0'],
      ['1', '0.7071', '0.0110'],
      ['2', '0.0123', '0.0158'],
      ['3', '-0.7034', '0.0112'],
      ['4', '-0.9980', '0.0021']
    ]);
  });

  it('flattens a 2-D PUB in C order and says so', () => {
    const section = renderEstimatorPub(PUBS.grid, 0);
    expect(section.querySelector('.qnb-PubMeta')!.textContent).toBe('2×3 · 6 points');
    expect(section.querySelector('.qnb-PubNote')!.textContent).toMatch(/^Shape 2×3, flattened in C order/);
    expect(section.querySelector('.qnb-EvCaption')!.textContent).toBe('flat index (C order)');
    expect(dots(section).map(p => Number(p.dataset.ev))).toEqual([1, 0.5, -0.5, 0.25, 0, -0.25]);
    const table = section.querySelector('table.qnb-EvTable')!;
    expect(Array.from(table.querySelectorAll('th')).map(th => th.textContent)).toEqual([
      '#',
      'Index',
      'Value',
      '± Std err'
    ]);
    expect(rows(table).map(r => r[1])).toEqual(['(0, 0)', '(0, 1)', '(0, 2)', '(1, 0)', '(1, 1)', '(1, 2)']);
    expect(rows(table)[5]).toEqual(['5', '(1, 2)', '-0.2500', '0.0600']);
  });

  it('keeps a long sweep compact: a band without error bars, the first rows of the table', () => {
    const n = 100;
    const pub: IEstimatorPubResult = {
      shape: [n],
      evs: Array.from({ length: n }, (_, i) => Math.cos((i * Math.PI) / (n - 1))),
      stds: Array.from({ length: n }, () => 0.02)
    };
    expect(n).toBeGreaterThan(MAX_ERROR_BARS);
    const section = renderEstimatorPub(pub, 0);
    expect(dots(section)).toHaveLength(n);
    expect(section.querySelectorAll('path.qnb-EvErrorBar')).toHaveLength(0);
    expect(section.querySelectorAll('path.qnb-EvBand')).toHaveLength(1);
    const table = section.querySelector('table.qnb-EvTable')!;
    expect(rows(table)).toHaveLength(MAX_EV_ROWS);
    expect(table.querySelector('tfoot .qnb-EvMore')!.textContent).toBe(`… ${n - MAX_EV_ROWS} more (%qresult has them all)`);
  });

  it('breaks the line at missing values', () => {
    const pub = { shape: [4], evs: [0.1, 0.2, null, 0.4], stds: [0.01, 0.01, null, 0.01] } as unknown as IEstimatorPubResult;
    const svg = renderEvChart(estimatorPoints(pub), pub.shape);
    expect(dots(svg).map(p => p.dataset.index)).toEqual(['0', '1', '3']);
    expect(svg.querySelectorAll('path.qnb-EvLine')).toHaveLength(1);
    expect(rows(renderEstimatorPub(pub, 0).querySelector('table')!)[2]).toEqual(['2', '—', '—']);
  });

  it('draws with CSS classes only: no hard-coded colours', () => {
    const html = renderEstimatorPub(PUBS.sweep, 0).outerHTML;
    expect(html).not.toMatch(/#[0-9a-f]{3,6}\b|rgb\(|white|black|fill="|stroke="/i);
  });
});

describe('renderSamplerPub', () => {
  it('draws one histogram per parameter point, chosen with a select', () => {
    const onPoint = jest.fn();
    const section = renderSamplerPub(PUBS.sampler, 0, 0, onPoint);
    expect(section.classList.contains('qnb-SamplerPub')).toBe(true);
    expect(section.querySelector('.qnb-PubMeta')!.textContent).toBe('3 points · meas');
    const select = section.querySelector<HTMLSelectElement>('select.qnb-PointSelect')!;
    expect(Array.from(select.options).map(o => o.textContent)).toEqual([
      'Point 0 · 1 of 3',
      'Point 1 · 2 of 3',
      'Point 2 · 3 of 3'
    ]);
    expect(section.querySelectorAll('svg.qnb-Histogram')).toHaveLength(1);
    expect(bars(section)).toEqual(PUBS.sampler.counts[0]);
    expect(section.dataset.point).toBe('0');

    select.value = '1';
    select.dispatchEvent(new Event('change'));
    expect(bars(section)).toEqual(PUBS.sampler.counts[1]);
    expect(section.dataset.point).toBe('1');
    select.value = '2';
    select.dispatchEvent(new Event('change'));
    expect(bars(section)).toEqual({ '10': 24, '11': 1000 });
    expect(section.querySelectorAll('svg.qnb-Histogram')).toHaveLength(1);
    expect(section.querySelectorAll('table.qnb-TopCounts')).toHaveLength(1);
    expect(section.querySelector('.qnb-TopCounts tbody td')!.textContent).toBe('11');
    // the select itself stays (keeping focus), and the choice is reported
    expect(section.querySelector('select.qnb-PointSelect')).toBe(select);
    expect(onPoint.mock.calls).toEqual([[1], [2]]);
  });

  it('starts at the point it is given', () => {
    const section = renderSamplerPub(PUBS.sampler, 0, 2);
    expect(section.querySelector<HTMLSelectElement>('select.qnb-PointSelect')!.value).toBe('2');
    expect(bars(section)).toEqual(PUBS.sampler.counts[2]);
    expect(bars(renderSamplerPub(PUBS.sampler, 0, 99))).toEqual(PUBS.sampler.counts[2]);
  });

  it('needs no picker for a scalar PUB', () => {
    const pub: ISamplerPubResult = { shape: [], registers: ['c0', 'c1'], counts: [{ '0 1': 7, '1 0': 3 }] };
    const section = renderSamplerPub(pub, 1);
    expect(section.querySelector('.qnb-PubMeta')!.textContent).toBe('scalar · c0, c1');
    expect(section.querySelector('select, input')).toBeNull();
    expect(bars(section)).toEqual({ '0 1': 7, '1 0': 3 });
  });

  it('uses a range input for many points', () => {
    const n = MAX_SELECT_POINTS + 1;
    const pub: ISamplerPubResult = {
      shape: [n],
      registers: ['meas'],
      counts: Array.from({ length: n }, (_, i) => ({ [(i % 4).toString(2).padStart(2, '0')]: i + 1 }))
    };
    const onPoint = jest.fn();
    const section = renderSamplerPub(pub, 0, 0, onPoint);
    expect(section.querySelector('select')).toBeNull();
    const range = section.querySelector<HTMLInputElement>('input.qnb-PointRange')!;
    expect([range.type, range.min, range.max]).toEqual(['range', '0', String(n - 1)]);
    range.value = '6';
    range.dispatchEvent(new Event('input'));
    expect(bars(section)).toEqual({ '10': 7 });
    expect(section.querySelector('.qnb-PointLabel')!.textContent).toBe(`Point 6 · 7 of ${n}`);
    expect(onPoint).toHaveBeenCalledWith(6);
  });

  it('says so when a PUB has no counts', () => {
    const section = renderSamplerPub({ shape: [0], registers: [], counts: [] }, 0);
    expect(section.querySelector('.qnb-DetailsMessage')!.textContent).toBe('No counts were recorded for this PUB.');
  });
});
