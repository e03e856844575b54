/** A PNG chart of the run: latency percentiles (grouped bars) and throughput, next to the JSON results. */
import { writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';

export interface ChartData {
  title: string;
  latency: { label: string; p50: number; p95: number; p99: number }[];
  throughput: { label: string; perSec: number }[];
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
  const W = 1100;
  const H = 520;
  const { canvas, g } = titledCanvas(W, H, data.title, 18);

  const panel = (
    x0: number,
    title: string,
    bars: { label: string; values: number[] }[],
    colors: string[],
    legend: string[],
  ) => {
    const top = 70;
    const bottom = H - 90;
    const width = W / 2 - 60;
    const max = Math.max(1, ...bars.flatMap((b) => b.values.filter(Number.isFinite)));
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
      const y = bottom - ((bottom - top) * i) / 4;
      g.fillStyle = '#666';
      g.fillText(v >= 100 ? v.toFixed(0) : v.toFixed(1), x0 - 40, y + 4);
    }
    const groupW = width / Math.max(1, bars.length);
    bars.forEach((bar, i) => {
      const barW = (groupW * 0.7) / bar.values.length;
      bar.values.forEach((v, j) => {
        const h = Number.isFinite(v) ? ((bottom - top) * v) / max : 0;
        const x = x0 + i * groupW + groupW * 0.15 + j * barW;
        g.fillStyle = colors[j % colors.length]!;
        g.fillRect(x, bottom - h, barW - 2, h);
      });
      g.fillStyle = '#111';
      g.fillText(bar.label, x0 + i * groupW + 4, bottom + 16);
    });
    legend.forEach((l, j) => {
      g.fillStyle = colors[j]!;
      g.fillRect(x0 + j * 80, H - 40, 12, 12);
      g.fillStyle = '#111';
      g.fillText(l, x0 + j * 80 + 16, H - 30);
    });
  };
  panel(
    60,
    'Latency (ms)',
    data.latency.map((l) => ({ label: l.label, values: [l.p50, l.p95, l.p99] })),
    ['#4e79a7', '#f28e2b', '#e15759'],
    ['p50', 'p95', 'p99'],
  );
  panel(
    W / 2 + 40,
    'Throughput (per second)',
    data.throughput.map((t) => ({ label: t.label, values: [t.perSec] })),
    ['#59a14f'],
    ['per s'],
  );
  writeFileSync(file, canvas.toBuffer('image/png'));
}
