import { quantile } from './percentiles.ts';

/** Summary of repeated timings, in milliseconds. */
export interface Summary {
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    min: quantile(sorted, 0),
    max: quantile(sorted, 1),
    samples,
  };
}
