/** The soak's PNG: applied/s, accepted/s and backlog over time (left axis), POST p99 (right axis, ms), 150 % shaded. */
import { writeFileSync } from 'node:fs';
import { titledCanvas } from '../chart';
import { round } from '../stats';
import type { Sample } from './sampler';

const SERIES: { label: string; color: string; right?: true; of: (s: Sample) => number }[] = [
  { label: 'applied/s', color: '#1f77b4', of: (s) => s.appliedPerSec },
  { label: 'accepted/s', color: '#2ca02c', of: (s) => s.acceptedPerSec },
  { label: 'backlog (events)', color: '#d62728', of: (s) => s.backlogSum },
  { label: 'POST p99 ms', color: '#9467bd', right: true, of: (s) => s.p99 },
];

export function soakChart(file: string, title: string, samples: Sample[]): void {
  const W = 1100;
  const H = 480;
  const { canvas, g } = titledCanvas(W, H, title, 16);
  const x0 = 70;
  const x1 = W - 70;
  const y0 = H - 50;
  const y1 = 60;
  const n = Math.max(1, samples.length - 1);
  const x = (i: number) => x0 + ((x1 - x0) * i) / n;
  const maxL = Math.max(1, ...samples.flatMap((s) => [s.appliedPerSec, s.backlogSum, s.acceptedPerSec]));
  const maxR = Math.max(1, ...samples.map((s) => s.p99).filter(Number.isFinite));
  samples.forEach((s, i) => {
    if (s.phase === '150%') {
      g.fillStyle = '#f6eee0';
      g.fillRect(x(i) - (x1 - x0) / n / 2, y1, (x1 - x0) / n, y0 - y1);
    }
  });
  g.strokeStyle = '#999';
  g.strokeRect(x0, y1, x1 - x0, y0 - y1);
  for (const series of SERIES) {
    const max = series.right ? maxR : maxL;
    g.strokeStyle = series.color;
    g.lineWidth = 2;
    g.beginPath();
    samples.forEach((s, i) => {
      const v = series.of(s);
      const y = y0 - ((y0 - y1) * (Number.isFinite(v) ? v : 0)) / max;
      if (i === 0) g.moveTo(x(i), y);
      else g.lineTo(x(i), y);
    });
    g.stroke();
  }
  g.font = '12px sans-serif';
  const legend: [string, string][] = [
    ...SERIES.map((s): [string, string] => [s.right ? `${s.label} (top = ${round(maxR)})` : s.label, s.color]),
    ['150 % phase (shaded)', '#c8a060'],
  ];
  legend.forEach(([label, color], i) => {
    g.fillStyle = color;
    g.fillRect(x0 + i * 190, H - 30, 12, 12);
    g.fillStyle = '#111';
    g.fillText(label, x0 + i * 190 + 18, H - 20);
  });
  g.fillText(String(round(maxL)), 10, y1 + 10);
  g.fillText('0', 50, y0);
  writeFileSync(file, canvas.toBuffer('image/png'));
}
