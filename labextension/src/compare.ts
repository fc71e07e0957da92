// The measures of a comparison of counts (the sidebar's "Compare", like qnb.compare
// in qnb/comparison.py): counts become probabilities (negative quasi-probabilities
// clipped to zero), then each pair gets its total variation distance and its
// Hellinger fidelity as qiskit.quantum_info.hellinger_fidelity defines it.
import type { Counts } from './job';

/** The most jobs compared at once (a pair table of 28 rows). */
export const MAX_COMPARE = 8;

/** Counts (or quasi-probabilities) as probabilities; all zeros when nothing is positive. */
export function probabilities(counts: Counts | null | undefined): Counts {
  const clipped: Counts = {};
  let total = 0;
  for (const [key, value] of Object.entries(counts ?? {})) {
    const v = typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : 0;
    clipped[key] = v;
    total += v;
  }
  const out: Counts = {};
  for (const [key, v] of Object.entries(clipped)) {
    out[key] = total > 0 ? v / total : 0;
  }
  return out;
}

/** Every outcome of any of the distributions. */
export function outcomes(...dists: readonly Counts[]): string[] {
  const keys = new Set<string>();
  for (const d of dists) {
    for (const key of Object.keys(d)) {
      keys.add(key);
    }
  }
  return [...keys];
}

/**
 * Total variation distance, 0.5 · Σ|p − q| over the union of the outcomes (the counts
 * normalised first): 0 for equal distributions, 1 for disjoint ones.
 */
export function totalVariationDistance(a: Counts, b: Counts): number {
  const p = probabilities(a);
  const q = probabilities(b);
  let sum = 0;
  for (const key of outcomes(p, q)) {
    sum += Math.abs((p[key] ?? 0) - (q[key] ?? 0));
  }
  return Math.min(1, Math.max(0, 0.5 * sum));
}

/**
 * Hellinger fidelity, (Σ √(p·q))² (the counts normalised first), which is
 * qiskit.quantum_info.hellinger_fidelity's (1 − d²)² of the Hellinger distance d:
 * 1 for equal distributions, 0 for disjoint ones.
 */
export function hellingerFidelity(a: Counts, b: Counts): number {
  const p = probabilities(a);
  const q = probabilities(b);
  let overlap = 0;
  for (const [key, pk] of Object.entries(p)) {
    const qk = q[key];
    if (qk !== undefined) {
      overlap += Math.sqrt(pk * qk);
    }
  }
  const bc = Math.min(1, Math.max(0, overlap));
  return bc * bc;
}

/** The measures of one pair: the indices of the two distributions, `a < b`. */
export interface IPairMeasures {
  a: number;
  b: number;
  /** Total variation distance. */
  tvd: number;
  /** Hellinger fidelity. */
  fidelity: number;
}

/** The measures of every pair of the distributions, in order (0–1, 0–2, …, 1–2, …). */
export function comparePairs(dists: readonly Counts[]): IPairMeasures[] {
  const pairs: IPairMeasures[] = [];
  for (let a = 0; a < dists.length; a++) {
    for (let b = a + 1; b < dists.length; b++) {
      pairs.push({
        a,
        b,
        tvd: totalVariationDistance(dists[a], dists[b]),
        fidelity: hellingerFidelity(dists[a], dists[b])
      });
    }
  }
  return pairs;
}

/**
 * The label of each compared job, as qnb.compare makes them: its name (or id); the
 * id too where names repeat; "#i" after labels that still repeat.
 */
export function compareLabels(jobs: readonly { id: string; name: string | null }[]): string[] {
  const plain = jobs.map(job => (job.name && job.name.trim() ? job.name : job.id));
  const labels = plain.map((label, i) =>
    plain.filter(l => l === label).length > 1 && label !== jobs[i].id ? `${label} (${jobs[i].id})` : label
  );
  return labels.map((label, i) => (labels.filter(l => l === label).length > 1 ? `${label} #${i}` : label));
}
