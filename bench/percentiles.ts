/** Percentiles of latency samples (ms), with the tail the warm-overhead and pipeline benchmarks need. */
export interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolating between ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

export function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** Milliseconds with two decimals (sub-millisecond differences matter here). */
export const ms2 = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '—');
/** A rate with no decimals once it is large. */
export const perSecond = (value: number): string =>
  Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '—';
export const percent = (value: number): string =>
  Number.isFinite(value) ? `${(value * 100).toFixed(0)} %` : '—';
