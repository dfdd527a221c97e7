import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { t } from '../i18n/index.ts';

/**
 * Cases per day as a small uPlot chart: total and released. Days are China-time calendar days; the x axis is placed on
 * noon UTC+8 of each day so labels never slip to a neighbouring day in another browser zone. The table beside it
 * carries the same numbers for screen readers.
 */
export function DailyChart({ days }: { days: { day: string; cases: number; released: number }[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    const xs = days.map((d) => Date.parse(`${d.day}T04:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { label: t('stats.col.cases') }],
        series: [
          { label: t('stats.group.day'), value: (_u, ts) => (ts == null ? '—' : new Date(ts * 1000 + 8 * 3600_000).toISOString().slice(0, 10)) },
          { label: t('stats.col.cases'), stroke: '#0b5cad', width: 2, points: { show: days.length < 40 } },
          { label: t('stats.status.released'), stroke: '#116329', width: 2, dash: [6, 4], points: { show: days.length < 40 } },
        ],
      },
      [xs, days.map((d) => d.cases), days.map((d) => d.released)],
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(320, el.clientWidth), height: 220 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [days]);
  return <div ref={box} class="stats-chart" role="img" aria-label={t('stats.chart.label')} />;
}
