// Sessions and cost per day, drawn by uPlot (a chunk of its own, loaded when the dashboard opens).
import type uPlot from 'uplot';

export interface DaySeries {
  /** Day starts, seconds since the epoch (UTC). */
  days: number[];
  sessions: number[];
  cost: number[];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Draws into `host`; returns a function that removes the chart. */
export async function drawDaily(host: HTMLElement, data: DaySeries): Promise<() => void> {
  const { default: UPlot } = await import('uplot');
  const text = cssVar('--muted', '#667');
  const grid = cssVar('--border', '#ddd');
  const bars = cssVar('--accent', '#3b5bdb');
  const line = cssVar('--warn', '#e8590c');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const width = () => Math.max(320, host.clientWidth);
  const options: uPlot.Options = {
    width: width(),
    height: 240,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    // Half a day of room each side, so the first and last bars are whole.
    scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, sessions: { range: (_u, _min, max) => [0, Math.max(1, max)] }, usd: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...axis, incrs: [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400], values: (_u, splits) => splits.map((v) => new Date(v * 1000).toISOString().slice(5, 10)) },
      { ...axis, scale: 'sessions', label: 'sessions', size: 50 },
      { ...axis, scale: 'usd', side: 1, label: 'cost ($)', size: 60, grid: { show: false }, values: (_u, splits) => splits.map((v) => `$${v.toFixed(v < 10 ? 2 : 0)}`) },
    ],
    series: [
      { label: 'day', value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toISOString().slice(0, 10)) },
      { label: 'sessions', scale: 'sessions', stroke: bars, fill: `${bars}55`, width: 1, paths: UPlot.paths.bars?.({ size: [0.6, 40] }), points: { show: false } },
      { label: 'cost', scale: 'usd', stroke: line, width: 2, value: (_u, v) => (v === null ? '–' : `$${v.toFixed(2)}`), points: { show: data.days.length < 40 } },
    ],
  };
  const chart = new UPlot(options, [data.days, data.sessions, data.cost], host);
  const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: 240 }));
  observer.observe(host);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}
