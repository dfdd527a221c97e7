import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtNumber, lang, t, ZONE } from '../i18n/index.ts';

/** The overview's parts: the hourly flow chart (uPlot) and the hour label every table uses. */

export const FLOWS = ['in', 'released', 'held', 'out'] as const;
export type Flow = (typeof FLOWS)[number];

/**
 * Each series has its own colour AND its own dash pattern, so the lines stay apart for a colour-blind reader and on a
 * greyscale print; the legend names them. Colours are the frame's AA text colours (styles.css).
 */
const SERIES_STYLE: Record<Flow, { stroke: string; dash?: number[] }> = {
  in: { stroke: '#0b5cad' },
  released: { stroke: '#116329', dash: [8, 4] },
  held: { stroke: '#a40e26', dash: [2, 3] },
  out: { stroke: '#7d4e00', dash: [10, 3, 2, 3] },
};

export function fmtHour(ms: number): string {
  return new Intl.DateTimeFormat(lang(), { timeZone: ZONE, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(ms);
}

/** Axis ticks: the hour on the 24-hour clock, and the date at the zone's midnight (uPlot's default is US 12-hour). */
function fmtTick(ms: number): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(ms).map((p) => [p.type, p.value]));
  return parts.hour === '00' && parts.minute === '00' ? `${parts.month}-${parts.day}` : `${parts.hour}:${parts.minute}`;
}

export interface HourlyFlows {
  hourMs: number[];
  in: number[];
  released: number[];
  held: number[];
  out: number[];
}

/**
 * Hourly flows as lines, created once and fed new data on each push (no re-creation, no flicker); resized with its
 * container. The chart is an image to a screen reader: the caller puts the same figures in a table beside it.
 */
export function FlowChart({ hourly, label }: { hourly: HourlyFlows; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [hourly.hourMs.map((ms) => ms / 1000), hourly.in, hourly.released, hourly.held, hourly.out];
  const current = lang();

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 260,
      // The zone's hours whatever the browser's time zone (i18n ZONE).
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), ZONE),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
      axes: [{ stroke: '#57606a', grid: { stroke: '#eaeef2' }, values: (_u, ticks) => ticks.map((ts) => fmtTick(ts * 1000)) }, { stroke: '#57606a', grid: { stroke: '#eaeef2' }, values: (_u, ticks) => ticks.map((v) => fmtNumber(v)) }],
      series: [
        { label: t('overview.hour'), value: (_u, v) => (v === null ? '—' : fmtHour(v * 1000)) },
        ...FLOWS.map((f) => ({ label: t(`overview.${f}`), stroke: SERIES_STYLE[f].stroke, width: 2, ...(SERIES_STYLE[f].dash ? { dash: SERIES_STYLE[f].dash } : {}), value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmtNumber(v)), points: { show: false } })),
      ],
    };
    plot.current = new uPlot(opts, data(), el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height: 260 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Re-created only when the language changes (labels); data updates go through setData below.
  }, [current]);

  useEffect(() => {
    plot.current?.setData(data());
  }, [hourly]);

  return <div class="ov-chart" ref={box} role="img" aria-label={label} />;
}
