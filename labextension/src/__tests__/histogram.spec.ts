import { histogramData, histogramLayout, renderHistogram, renderTopCounts, topCounts } from '../histogram';

const bars = (svg: SVGSVGElement): SVGRectElement[] => Array.from(svg.querySelectorAll<SVGRectElement>('rect.qnb-Bar'));
const height = (rect: SVGRectElement): number => Number(rect.getAttribute('height'));

describe('histogramData', () => {
  it('orders outcomes as binary numbers and sums the shots', () => {
    const data = histogramData({ '11': 490, '00': 500, '01': 6, '10': 4 });
    expect(data.bars.map(b => b.key)).toEqual(['00', '01', '10', '11']);
    expect(data.total).toBe(1000);
    expect(data.max).toBe(500);
    expect(data.bars[0].fraction).toBeCloseTo(0.5);
  });

  it('lists the top counts most frequent first', () => {
    expect(topCounts({ '00': 5, '01': 50, '10': 20, '11': 20 }, 3).map(b => b.key)).toEqual(['01', '10', '11']);
  });
});

describe('renderHistogram', () => {
  it('draws an svg.qnb-Histogram with one rect.qnb-Bar per bitstring', () => {
    const svg = renderHistogram({ '00': 510, '11': 490 });
    expect(svg.tagName.toLowerCase()).toBe('svg');
    expect(svg.classList.contains('qnb-Histogram')).toBe(true);
    const rects = bars(svg);
    expect(rects).toHaveLength(2);
    expect(rects.map(r => r.getAttribute('data-key'))).toEqual(['00', '11']);
    expect(rects.map(r => r.getAttribute('data-count'))).toEqual(['510', '490']);
    expect(rects[0].querySelector('title')!.textContent).toBe('00: 510 (51.0%)');
    expect(svg.getAttribute('aria-label')).toBe('Counts histogram: 2 outcomes, 1,000 shots');
  });

  it('makes bar heights proportional to the counts', () => {
    const counts = { '000': 400, '001': 200, '010': 100, '011': 50, '100': 0, '111': 250 };
    const svg = renderHistogram(counts);
    const rects = bars(svg);
    expect(rects).toHaveLength(6);
    const { plotHeight, plotTop } = histogramLayout(6, 3);
    const byKey = new Map(rects.map(r => [r.getAttribute('data-key')!, r]));
    const tallest = height(byKey.get('000')!);
    expect(tallest).toBeGreaterThan(0.5 * plotHeight);
    expect(tallest).toBeLessThanOrEqual(plotHeight);
    for (const [key, count] of Object.entries(counts)) {
      const rect = byKey.get(key)!;
      expect(height(rect)).toBeCloseTo((count / 400) * tallest, 1);
      // bars stand on a common baseline
      expect(Number(rect.getAttribute('y')) + height(rect)).toBeCloseTo(plotTop + plotHeight, 1);
    }
    // left to right in outcome order, without overlapping
    const xs = rects.map(r => Number(r.getAttribute('x')));
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    for (let i = 1; i < rects.length; i++) {
      expect(xs[i]).toBeGreaterThanOrEqual(xs[i - 1] + Number(rects[i - 1].getAttribute('width')));
    }
  });

  it('puts its gridlines at round counts, the top one at or above the tallest bar', () => {
    const svg = renderHistogram({ '0': 475, '1': 25 });
    const ticks = Array.from(svg.querySelectorAll('text.qnb-HistogramTick')).map(t => t.textContent);
    expect(ticks).toEqual(['0', '200', '400', '600']);
    const { plotHeight } = histogramLayout(2, 1);
    expect(height(bars(svg)[0])).toBeCloseTo((475 / 600) * plotHeight, 1);
    expect(svg.querySelectorAll('line.qnb-HistogramBaseline')).toHaveLength(1);
    // a few shots: whole counts only
    const few = renderHistogram({ '0': 2, '1': 1 });
    expect(Array.from(few.querySelectorAll('text.qnb-HistogramTick')).map(t => t.textContent)).toEqual(['0', '1', '2']);
  });

  it('labels a few bars, and still draws every bar of a wide distribution', () => {
    expect(renderHistogram({ '0': 1, '1': 3 }).querySelectorAll('text.qnb-HistogramLabel')).toHaveLength(2);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1024; i++) {
      counts[i.toString(2).padStart(10, '0')] = (i % 7) + 1;
    }
    const svg = renderHistogram(counts);
    expect(bars(svg)).toHaveLength(1024);
    expect(svg.querySelectorAll('text.qnb-HistogramLabel')).toHaveLength(0);
    const width = Number(svg.getAttribute('viewBox')!.split(' ')[2]);
    expect(width).toBeLessThan(800);
  });

  it('draws nothing to scale for empty counts without failing', () => {
    const svg = renderHistogram({});
    expect(bars(svg)).toHaveLength(0);
  });

  it('uses CSS classes, not hard-coded colours', () => {
    const svg = renderHistogram({ '0': 1, '1': 3 });
    expect(svg.outerHTML).not.toMatch(/fill="#|stroke="#|rgb\(/);
  });
});

describe('renderTopCounts', () => {
  it('tabulates the most frequent outcomes with their share', () => {
    const table = renderTopCounts({ '00': 510, '11': 490 });
    const rows = Array.from(table.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.textContent));
    expect(rows).toEqual([
      ['00', '510', '51.0%'],
      ['11', '490', '49.0%']
    ]);
  });
});
