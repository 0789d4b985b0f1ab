import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';

/**
 * Payments per day as bars, drawn by uPlot (a small, maintained chart library: ~22 KB gzipped,
 * no dependencies, and CSP-clean — it styles through the CSSOM, never inline `style` attributes or
 * `<style>` elements, which the dashboard's `style-src 'self'` forbids). uPlot draws on a canvas, so
 * the figures are also a sentence (the chart's accessible name) and a table below it. It is loaded
 * when the chart first renders (its own chunk, script and stylesheet from our origin), so the pages
 * without a chart — the payments list a merchant lands on most — do not download or parse it.
 */

type UPlot = typeof uPlot;
const loadUPlot = async (): Promise<UPlot> => {
  const [module] = await Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]);
  return module.default;
};

const height = 180;

/** "12 payments in 30 days; the busiest day 2026-12-07 with 5." */
export function chartSummary(days: readonly (readonly [string, number])[]): string {
  const total = days.reduce((sum, [, n]) => sum + n, 0);
  const span = days.length === 1 ? 'the last day' : `the last ${days.length} days`;
  if (total === 0) return `None of ${span} had a payment.`;
  const [busiest, most] = days.reduce((best, day) => (day[1] > best[1] ? day : best));
  return `${total} payment${total === 1 ? '' : 's'} in ${span}; the busiest day ${busiest} with ${most}.`;
}

/** Days as uPlot's aligned data: x in Unix seconds (UTC midnight), y the counts. */
export function chartData(days: readonly (readonly [string, number])[]): uPlot.AlignedData {
  return [days.map(([d]) => Date.parse(`${d}T00:00:00Z`) / 1000), days.map(([, n]) => n)];
}

/** A canvas to draw on (happy-dom in unit tests has none: the sentence and the table still render). */
const canDraw = () => {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
};

function options(uPlot: UPlot, width: number, colour: string, ink: string): uPlot.Options {
  return {
    width,
    height,
    legend: { show: false },
    cursor: { show: false },
    // The days are UTC dates (the API's timestamps are UTC).
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [
      { stroke: ink, grid: { show: false } },
      {
        stroke: ink,
        // Whole payments only.
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        values: (_u, ticks) => ticks.map((t) => String(t)),
        size: 40,
      },
    ],
    series: [
      {},
      {
        label: 'Payments',
        fill: colour,
        stroke: colour,
        width: 0,
        points: { show: false },
        ...(uPlot.paths.bars ? { paths: uPlot.paths.bars({ size: [0.7, 32] }) } : {}),
      },
    ],
  };
}

export function DailyChart({ days, labelledBy }: { days: [string, number][]; labelledBy: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = chartData(days);
  const key = JSON.stringify(data);
  const latest = useRef(data);
  latest.current = data;
  useEffect(() => {
    const el = box.current;
    if (!el || !canDraw()) return;
    let gone = false;
    let stop = () => {};
    void loadUPlot().then((UPlot) => {
      if (gone) return;
      const style = getComputedStyle(el);
      const colour = style.getPropertyValue('--accent').trim() || '#1f4fd1';
      const ink = style.getPropertyValue('--muted').trim() || '#5a6372';
      const chart = new UPlot(options(UPlot, Math.max(240, el.clientWidth), colour, ink), latest.current, el);
      plot.current = chart;
      const resize = new ResizeObserver(() =>
        chart.setSize({ width: Math.max(240, el.clientWidth), height }),
      );
      resize.observe(el);
      stop = () => {
        resize.disconnect();
        chart.destroy();
        plot.current = undefined;
      };
    });
    return () => {
      gone = true;
      stop();
    };
  }, []);
  // A poll with new figures redraws the same chart.
  useEffect(() => plot.current?.setData(data), [key]);
  const summary = chartSummary(days);
  return (
    <figure class="chart" aria-labelledby={labelledBy}>
      <div
        class="chart-canvas"
        ref={box}
        role="img"
        aria-label={`Bar chart of payments per day. ${summary}`}
      />
      <figcaption>{summary}</figcaption>
      <details>
        <summary>Payments per day as a table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" class="num">
                Payments
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map(([d, n]) => (
              <tr key={d}>
                <td>{d}</td>
                <td class="num">{n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
