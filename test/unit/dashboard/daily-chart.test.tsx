// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import { chartData, chartSummary, DailyChart } from '../../../dashboard/src/components/daily-chart.tsx';

afterEach(cleanup);

const days: [string, number][] = [
  ['2026-12-05', 0],
  ['2026-12-06', 3],
  ['2026-12-07', 1],
];

describe('the payments-per-day chart', () => {
  it('says its figures in a sentence: the total and the busiest day', () => {
    expect(chartSummary(days)).toBe('4 payments in the last 3 days; the busiest day 2026-12-06 with 3.');
    expect(chartSummary([['2026-12-07', 1]])).toBe(
      '1 payment in the last day; the busiest day 2026-12-07 with 1.',
    );
    expect(chartSummary([['2026-12-07', 0]])).toBe('None of the last day had a payment.');
  });

  it('hands uPlot UTC midnights in seconds and the counts', () => {
    expect(chartData(days)).toEqual([
      [Date.UTC(2026, 11, 5) / 1000, Date.UTC(2026, 11, 6) / 1000, Date.UTC(2026, 11, 7) / 1000],
      [0, 3, 1],
    ]);
  });

  it('is an image named by its sentence, with the same figures as a table (no canvas needed)', () => {
    render(
      <>
        <h2 id="h">Payments per day</h2>
        <DailyChart days={days} labelledBy="h" />
      </>,
    );
    expect(screen.getByRole('figure', { name: 'Payments per day' })).toBeTruthy();
    screen.getByRole('img', {
      name: 'Bar chart of payments per day. 4 payments in the last 3 days; the busiest day 2026-12-06 with 3.',
    });
    const rows = screen.getAllByRole('row').map((r) => r.textContent);
    expect(rows).toEqual(['DayPayments', '2026-12-050', '2026-12-063', '2026-12-071']);
  });
});
