import {
  compareLabels,
  comparePairs,
  hellingerFidelity,
  outcomes,
  probabilities,
  totalVariationDistance
} from '../compare';
import { groupedHistogramData, MAX_GROUPED_OUTCOMES, renderGroupedHistogram } from '../histogram';
import { compareBlocker } from '../job';
import serverJob from './fixtures/job.json';
import { ESTIMATE, makeEstimateJob, makeEstimatorJob, makeJob, makeSamplerJob, PUBS } from './fixtures/jobs';

describe('probabilities', () => {
  it('normalises counts, clipping negative quasi-probabilities at zero', () => {
    expect(probabilities({ '0': 30, '1': 10 })).toEqual({ '0': 0.75, '1': 0.25 });
    expect(probabilities({ '0': 0.6, '1': 0.5, '2': -0.1 })).toEqual({ '0': 0.6 / 1.1, '1': 0.5 / 1.1, '2': 0 });
    expect(probabilities({ '0': 0 })).toEqual({ '0': 0 });
    expect(probabilities(null)).toEqual({});
    expect(outcomes({ a: 1 }, { b: 2, a: 3 }).sort()).toEqual(['a', 'b']);
  });
});

describe('total variation distance and Hellinger fidelity', () => {
  const bell = { '00': 510, '11': 490 };

  it('are 0 and 1 for identical distributions, whatever the shots', () => {
    expect(totalVariationDistance(bell, bell)).toBe(0);
    expect(hellingerFidelity(bell, bell)).toBeCloseTo(1, 12);
    // the same distribution at ten times the shots
    expect(totalVariationDistance(bell, { '11': 4900, '00': 5100 })).toBeCloseTo(0, 12);
    expect(hellingerFidelity(bell, { '11': 4900, '00': 5100 })).toBeCloseTo(1, 12);
  });

  it('are 1 and 0 for disjoint distributions', () => {
    const other = { '01': 300, '10': 700 };
    expect(totalVariationDistance(bell, other)).toBe(1);
    expect(hellingerFidelity(bell, other)).toBe(0);
  });

  it('match a worked example (and qiskit.quantum_info.hellinger_fidelity)', () => {
    const noisy = { '00': 400, '01': 100, '10': 20, '11': 480 };
    // p = (.51, 0, 0, .49), q = (.40, .10, .02, .48): ½(.11 + .10 + .02 + .01) = .12
    expect(totalVariationDistance(bell, noisy)).toBeCloseTo(0.12, 12);
    // (√(.51·.40) + √(.49·.48))² = 0.8772904016296179 (hellinger_fidelity of the same dicts)
    expect(hellingerFidelity(bell, noisy)).toBeCloseTo(0.8772904016296179, 12);
    // symmetric
    expect(totalVariationDistance(noisy, bell)).toBeCloseTo(0.12, 12);
    expect(hellingerFidelity(noisy, bell)).toBeCloseTo(0.8772904016296179, 12);
    // half the mass shared: BC = √½, F = ½ (hellinger_fidelity({'0': 1, '1': 1}, {'0': 1}))
    expect(hellingerFidelity({ '0': 1, '1': 1 }, { '0': 1 })).toBeCloseTo(0.5, 12);
    expect(totalVariationDistance({ '0': 1, '1': 1 }, { '0': 1 })).toBeCloseTo(0.5, 12);
  });

  it('measures every pair in order', () => {
    const pairs = comparePairs([bell, bell, { '01': 1 }]);
    expect(pairs.map(p => [p.a, p.b])).toEqual([
      [0, 1],
      [0, 2],
      [1, 2]
    ]);
    expect(pairs.map(p => [p.tvd, Math.round(p.fidelity * 1e9) / 1e9])).toEqual([
      [0, 1],
      [1, 0],
      [1, 0]
    ]);
    expect(comparePairs([bell])).toEqual([]);
  });
});

describe('compareLabels', () => {
  it('labels jobs by name, adding the id where names repeat, as qnb.compare does', () => {
    expect(
      compareLabels([
        { id: 'aaaaaaaaaaaa', name: 'bell' },
        { id: 'bbbbbbbbbbbb', name: 'bell' },
        { id: 'cccccccccccc', name: 'ghz' },
        { id: 'dddddddddddd', name: null }
      ])
    ).toEqual(['bell (aaaaaaaaaaaa)', 'bell (bbbbbbbbbbbb)', 'ghz', 'dddddddddddd']);
  });
});

describe('compareBlocker', () => {
  it('lets only DONE jobs with counts be compared, and says why not', () => {
    expect(compareBlocker(makeJob({ status: 'DONE' }))).toBeNull(); // listed: no counts key yet
    expect(compareBlocker(serverJob as never)).toBeNull();
    expect(compareBlocker(makeSamplerJob([PUBS.sampler]))).toBeNull();
    expect(compareBlocker(makeJob({ status: 'RUNNING' }))).toBe(
      'Only finished (DONE) jobs can be compared: this one is RUNNING'
    );
    expect(compareBlocker(makeJob({ status: 'ERROR' }))).toMatch(/this one is ERROR$/);
    expect(compareBlocker(makeEstimatorJob([PUBS.scalar]))).toBe(
      'An Estimator job has expectation values, not counts, to compare'
    );
    expect(compareBlocker(makeJob({ status: 'DONE', counts: [] }))).toBe('No counts were recorded for this job');
    expect(compareBlocker(makeEstimateJob([ESTIMATE]))).toBe(
      'A resource estimate has figures (qubits, runtime), not counts, to compare'
    );
  });
});

describe('grouped histogram', () => {
  const series = [
    { label: 'bell · aer', counts: { '00': 510, '11': 490 } },
    { label: 'bell · manila', counts: { '00': 40, '01': 10, '10': 2, '11': 48 } },
    { label: 'ghz', counts: { '11': 1 } }
  ];

  it('draws the probabilities of each series as grouped bars, in bitstring order', () => {
    const data = groupedHistogramData(series);
    expect(data.columns.map(c => c.key)).toEqual(['00', '01', '10', '11']);
    expect(data.columns[0].counts).toEqual([510, 40, 0]);
    expect(data.columns[0].probabilities).toEqual([0.51, 0.4, 0]);
    expect(data.max).toBe(1);
    expect(data.hidden).toBe(0);
  });

  it('has one bar per outcome and series, and a legend entry per series', () => {
    const svg = renderGroupedHistogram(series);
    expect(svg.classList.contains('qnb-Histogram')).toBe(true);
    expect(svg.classList.contains('qnb-GroupedHistogram')).toBe(true);
    expect(svg.dataset.series).toBe('3');
    const items = Array.from(svg.querySelectorAll('.qnb-Legend .qnb-LegendItem'));
    expect(items.map(i => i.querySelector('text')!.textContent)).toEqual(['bell · aer', 'bell · manila', 'ghz']);
    expect(items.map(i => i.querySelector('rect')!.getAttribute('class'))).toEqual([
      'qnb-LegendSwatch qnb-Series qnb-Series-0',
      'qnb-LegendSwatch qnb-Series qnb-Series-1',
      'qnb-LegendSwatch qnb-Series qnb-Series-2'
    ]);
    const bars = Array.from(svg.querySelectorAll<SVGRectElement>('rect.qnb-Bar'));
    expect(bars).toHaveLength(4 * 3);
    for (let s = 0; s < 3; s++) {
      expect(svg.querySelectorAll(`rect.qnb-Bar.qnb-Series-${s}[data-series="${s}"]`)).toHaveLength(4);
    }
    const bar = svg.querySelector<SVGRectElement>('rect.qnb-Bar[data-series="1"][data-key="00"]')!;
    expect(bar.getAttribute('data-count')).toBe('40');
    expect(bar.querySelector('title')!.textContent).toBe('00 (bell · manila): 40 (40.0%)');
    // heights are proportional to the probabilities; the tallest (ghz's 11, p = 1) fills the plot
    const h = (s: number, key: string): number =>
      Number(svg.querySelector(`rect.qnb-Bar[data-series="${s}"][data-key="${key}"]`)!.getAttribute('height'));
    expect(h(0, '00') / h(2, '11')).toBeCloseTo(0.51, 2);
    expect(h(1, '10') / h(2, '11')).toBeCloseTo(0.02, 2);
    expect(svg.querySelectorAll('text.qnb-HistogramLabel')).toHaveLength(4);
    expect(svg.outerHTML).not.toMatch(/fill="#|stroke="#|rgb\(/);
  });

  it('repeats the five theme colours, fainter, past five series', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ label: `job ${i}`, counts: { '0': i + 1, '1': 7 - i } }));
    const svg = renderGroupedHistogram(many);
    expect(svg.querySelectorAll('.qnb-LegendItem')).toHaveLength(7);
    const swatch = (i: number): string => svg.querySelectorAll('.qnb-LegendSwatch')[i].getAttribute('class')!;
    expect(swatch(4)).toBe('qnb-LegendSwatch qnb-Series qnb-Series-4');
    expect(swatch(5)).toBe('qnb-LegendSwatch qnb-Series qnb-Series-0 qnb-mod-repeat');
  });

  it('gathers the least probable of many outcomes into "others"', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      wide[i.toString(2).padStart(6, '0')] = i + 1;
    }
    const data = groupedHistogramData([
      { label: 'a', counts: wide },
      { label: 'b', counts: { '000000': 5 } }
    ]);
    expect(data.columns).toHaveLength(MAX_GROUPED_OUTCOMES + 1);
    expect(data.columns[0].key).toBe('000000'); // b's only outcome, p = 1
    expect(data.columns[1].key).toBe((39).toString(2).padStart(6, '0')); // a's most frequent
    const others = data.columns[MAX_GROUPED_OUTCOMES];
    expect([others.key, others.outcomes]).toEqual(['', 40 - MAX_GROUPED_OUTCOMES]);
    expect(data.hidden).toBe(40 - MAX_GROUPED_OUTCOMES);
    const total = data.columns.reduce((sum, c) => sum + c.probabilities[0], 0);
    expect(total).toBeCloseTo(1, 12);
    const svg = renderGroupedHistogram([
      { label: 'a', counts: wide },
      { label: 'b', counts: { '000000': 5 } }
    ]);
    expect(svg.querySelectorAll('rect.qnb-Bar[data-others]')).toHaveLength(2);
    expect(svg.dataset.hidden).toBe(String(40 - MAX_GROUPED_OUTCOMES));
  });
});
