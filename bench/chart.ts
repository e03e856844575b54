/**
 * A PNG chart of the run, next to the JSON results: latency percentiles (grouped bars) and throughput; below them,
 * when given, Threds' ratios to the floor and the baseline (a line at 1×) and CPU per 1,000 events per process.
 */
import { writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';

export interface ChartData {
  title: string;
  latency: { label: string; p50: number; p95: number; p99: number }[];
  throughput: { label: string; perSec: number }[];
  /** Threds ÷ the floor and ÷ the baseline, per measure. */
  ratios?: { label: string; values: [toFloor: number, toBaseline: number] }[];
  cpu?: { title: string; bars: { label: string; seconds: number }[] };
}

/** A white canvas with a bold title at its top left, as every bench chart starts. */
export function titledCanvas(width: number, height: number, title: string, titlePx: number) {
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#111';
  g.font = `bold ${titlePx}px sans-serif`;
  g.fillText(title, 20, titlePx + 12);
  return { canvas, g };
}

export function writeChart(file: string, data: ChartData): void {
  const W = 1300;
  const ROW = 460;
  const second = data.ratios !== undefined || data.cpu !== undefined;
  const H = ROW * (second ? 2 : 1) + 60;
  const { canvas, g } = titledCanvas(W, H, data.title, 18);

  /** One bar panel: its top at `top`, its axis `ROW - 150` px tall, labels and legend below it. */
  const panel = (
    x0: number,
    top: number,
    title: string,
    bars: { label: string; values: number[] }[],
    colors: string[],
    legend: string[],
    line?: number,
  ) => {
    const bottom = top + ROW - 150;
    const width = W / 2 - 60;
    const max = Math.max(1, line ?? 0, ...bars.flatMap((b) => b.values.filter(Number.isFinite)));
    const y = (v: number) => bottom - ((bottom - top) * v) / max;
    g.font = 'bold 14px sans-serif';
    g.fillStyle = '#111';
    g.fillText(title, x0, top - 20);
    g.strokeStyle = '#999';
    g.beginPath();
    g.moveTo(x0, top);
    g.lineTo(x0, bottom);
    g.lineTo(x0 + width, bottom);
    g.stroke();
    g.font = '11px sans-serif';
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      g.fillStyle = '#666';
      g.fillText(v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2), x0 - 40, y(v) + 4);
    }
    const groupW = width / Math.max(1, bars.length);
    bars.forEach((bar, i) => {
      const barW = (groupW * 0.7) / bar.values.length;
      bar.values.forEach((v, j) => {
        const h = Number.isFinite(v) ? bottom - y(v) : 0;
        const x = x0 + i * groupW + groupW * 0.15 + j * barW;
        g.fillStyle = colors[j % colors.length]!;
        g.fillRect(x, bottom - h, barW - 2, h);
      });
      g.fillStyle = '#111';
      g.fillText(bar.label, x0 + i * groupW + 4, bottom + 16);
    });
    if (line !== undefined) {
      g.strokeStyle = '#111';
      g.setLineDash([6, 4]);
      g.beginPath();
      g.moveTo(x0, y(line));
      g.lineTo(x0 + width, y(line));
      g.stroke();
      g.setLineDash([]);
    }
    legend.forEach((l, j) => {
      g.fillStyle = colors[j]!;
      g.fillRect(x0 + j * 90, bottom + 50, 12, 12);
      g.fillStyle = '#111';
      g.fillText(l, x0 + j * 90 + 16, bottom + 60);
    });
  };
  const left = 60;
  const right = W / 2 + 40;
  panel(
    left,
    70,
    'Latency (ms)',
    data.latency.map((l) => ({ label: l.label, values: [l.p50, l.p95, l.p99] })),
    ['#4e79a7', '#f28e2b', '#e15759'],
    ['p50', 'p95', 'p99'],
  );
  panel(
    right,
    70,
    'Throughput (per second)',
    data.throughput.map((t) => ({ label: t.label, values: [t.perSec] })),
    ['#59a14f'],
    ['per s'],
  );
  if (data.ratios) {
    panel(
      left,
      70 + ROW,
      'Threds e2e ÷ bare Temporal (line: 1×)',
      data.ratios,
      ['#76b7b2', '#b07aa1'],
      ['÷ floor', '÷ baseline'],
      1,
    );
  }
  if (data.cpu) {
    const bars = data.cpu.bars.map((b) => ({ label: b.label, values: [b.seconds] }));
    panel(right, 70 + ROW, data.cpu.title, bars, ['#9c755f'], ['CPU s']);
  }
  writeFileSync(file, canvas.toBuffer('image/png'));
}
