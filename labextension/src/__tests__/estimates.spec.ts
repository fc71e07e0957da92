// A resource estimate's figures: the headline, where the physical qubits go, the list of
// figures and the error budget's split, per circuit.
import { formatBudget, renderEstimate, renderEstimates, splitSegments, SPLIT_WIDTH } from '../estimates';
import { ESTIMATE } from './fixtures/jobs';

const parts = (root: Element, bar: string): Record<string, number> =>
  Object.fromEntries(
    Array.from(root.querySelectorAll<SVGRectElement>(`${bar} rect.qnb-SplitPart`)).map(r => [
      r.dataset.part,
      Number(r.getAttribute('width'))
    ])
  );
const figures = (root: Element): Record<string, string> =>
  Object.fromEntries(
    Array.from(root.querySelectorAll('dl.qnb-EstimateFigures dt')).map(dt => [dt.textContent, dt.nextElementSibling!.textContent])
  );

describe('split bars', () => {
  it('lays the parts side by side in proportion, leaving out empty ones', () => {
    const segments = splitSegments([
      { key: 'a', label: 'a', value: 1 },
      { key: 'none', label: 'none', value: 0 },
      { key: 'b', label: 'b', value: 3 }
    ]);
    expect(segments.map(s => [s.key, s.x, s.width, s.share])).toEqual([
      ['a', 0, SPLIT_WIDTH / 4, 0.25],
      ['b', SPLIT_WIDTH / 4, (3 * SPLIT_WIDTH) / 4, 0.75]
    ]);
    expect(splitSegments([{ key: 'a', label: 'a', value: 0 }])).toEqual([]);
  });

  it('writes the budget\'s probabilities to three digits', () => {
    expect(formatBudget(0.0003333333333333333)).toBe('0.000333');
    expect(formatBudget(0.001)).toBe('0.001');
    expect(formatBudget(NaN)).toBe('—');
  });
});

describe('one circuit\'s estimate', () => {
  it('leads with the physical qubits and the runtime', () => {
    const node = renderEstimate(ESTIMATE, 0, 1, document);
    expect(node.dataset.circuit).toBe('0');
    expect(node.querySelector('.qnb-EstimateHeadline')!.textContent).toBe('510,380 physical qubits · runtime 3 millisecs');
    expect(node.querySelector<HTMLElement>('.qnb-EstimateHeadline b:last-child')!.title).toBe('3,094,000 ns');
  });

  it('shows where the physical qubits go: T factories beside the algorithm', () => {
    const node = renderEstimate(ESTIMATE, 0, 1, document);
    const widths = parts(node, '.qnb-QubitSplit');
    expect(Object.keys(widths)).toEqual(['algorithm', 't_factories']);
    // 10,140 for the algorithm and 500,240 for 37 factories: the factories take 98%
    expect(widths.t_factories / SPLIT_WIDTH).toBeCloseTo(500240 / 510380, 2);
    expect(widths.algorithm + widths.t_factories).toBeCloseTo(SPLIT_WIDTH, 1);
    const legend = Array.from(node.querySelectorAll('.qnb-QubitSplit .qnb-SplitLegendItem')).map(i => i.textContent);
    expect(legend).toEqual(['algorithm 10,140 (2.0%)', 'T factories 500,240 (98.0%)']);
    const bar = node.querySelector('.qnb-QubitSplit svg')!;
    expect(bar.getAttribute('aria-label')).toBe('Physical qubits: algorithm: 10,140 (2.0%), T factories: 500,240 (98.0%)');
  });

  it('lists the figures, a missing one as a dash', () => {
    const listed = figures(renderEstimate({ ...ESTIMATE, rqops: null }, 0, 1, document));
    expect(listed).toMatchObject({
      'Physical qubits': '510,380',
      Runtime: '3 millisecs',
      'Logical qubits': '30',
      'Code distance': '13',
      'T states': '1,647',
      'T factories': '37',
      'Qubits per T factory': '13,520',
      rQOPS: '—'
    });
  });

  it('splits the error budget among its parts', () => {
    const node = renderEstimate(ESTIMATE, 0, 1, document);
    expect(node.querySelector('.qnb-BudgetSplit .qnb-EstimateCaption')!.textContent).toBe('Error budget 0.001, split');
    const widths = parts(node, '.qnb-BudgetSplit');
    expect(Object.keys(widths)).toEqual(['logical', 'tstates', 'rotations']);
    for (const w of Object.values(widths)) {
      expect(w).toBeCloseTo(SPLIT_WIDTH / 3, 1);
    }
    const legend = Array.from(node.querySelectorAll('.qnb-BudgetSplit .qnb-SplitLegendItem')).map(i => i.textContent);
    expect(legend).toEqual(['logical errors 0.000333 (33.3%)', 'T states 0.000333 (33.3%)', 'rotations 0.000333 (33.3%)']);
  });

  it('draws no bar when the estimator gave nothing to split', () => {
    const node = renderEstimate({ ...ESTIMATE, qubits_for_algorithm: null, qubits_for_t_factories: null, error_budget: {} }, 0, 1, document);
    expect(node.querySelector('svg.qnb-SplitBar')).toBeNull();
    expect(figures(node)['Physical qubits']).toBe('510,380');
  });
});

describe('every circuit\'s estimate', () => {
  it('numbers the circuits when there are several', () => {
    const bigger = { ...ESTIMATE, physical_qubits: 1200000 };
    const section = renderEstimates([ESTIMATE, bigger], document);
    expect(section.querySelector('h4')!.textContent).toBe('Resource estimate');
    const heads = Array.from(section.querySelectorAll('.qnb-EstimateHeadline')).map(p => p.textContent);
    expect(heads).toEqual([
      'Circuit 1 of 2: 510,380 physical qubits · runtime 3 millisecs',
      'Circuit 2 of 2: 1,200,000 physical qubits · runtime 3 millisecs'
    ]);
  });

  it('says so when none was recorded', () => {
    const section = renderEstimates([], document);
    expect(section.querySelector('.qnb-DetailsMessage')!.textContent).toBe('No estimates were recorded for this job.');
    expect(section.querySelector('.qnb-Estimate')).toBeNull();
  });
});
