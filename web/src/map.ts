/**
 * Locations drawn as an inline SVG plot: an equirectangular projection of the locations' bounding box (longitude
 * scaled by cos(latitude)), a labelled graticule and one marker per location. No tiles, no network.
 */
import { h, s } from './dom';
import type { Location } from './types';

const W = 360;
const H = 220;
const PAD = 28;

function niceStep(span: number): number {
  const raw = span / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((st) => st >= raw) ?? raw;
}

function fmtDeg(v: number, step: number, pos: string, neg: string): string {
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
  return `${Math.abs(v).toFixed(digits)}°${v >= 0 ? pos : neg}`;
}

export function renderMap(locations: Location[]): HTMLElement {
  const pts = locations
    .map((l) => ({ ...l, lat: Number(l.latitude), lon: Number(l.longitude) }))
    .filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  const caption = h(
    'figcaption',
    {},
    pts.length === 0
      ? 'No valid locations'
      : h(
          'ul',
          { class: 'plain' },
          pts.map((p) => h('li', {}, `${p.name ?? 'Location'}: ${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`)),
        ),
  );
  if (pts.length === 0) return h('figure', { class: 'map' }, caption);

  const lats = pts.map((p) => p.lat);
  const lons = pts.map((p) => p.lon);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.max(0.05, Math.cos((midLat * Math.PI) / 180)); // x shrink at this latitude
  // Span in "y degrees": at least ~2 km so a single point sits in a readable neighbourhood.
  let spanY = Math.max(Math.max(...lats) - Math.min(...lats), (Math.max(...lons) - Math.min(...lons)) * k, 0.02) * 1.4;
  const innerW = W - 2 * PAD;
  const innerH = H - 2 * PAD;
  spanY = Math.max(spanY, (((Math.max(...lons) - Math.min(...lons)) * k) / innerW) * innerH * 1.4);
  const scale = innerH / spanY; // px per degree of latitude
  const cx = (Math.min(...lons) + Math.max(...lons)) / 2;
  const x = (lon: number) => W / 2 + (lon - cx) * k * scale;
  const y = (lat: number) => H / 2 - (lat - midLat) * scale;
  const lonSpan = innerW / (k * scale) + (2 * PAD) / (k * scale);
  const latSpan = H / scale;

  const grid: SVGElement[] = [];
  const stepLat = niceStep(latSpan);
  for (let v = Math.ceil((midLat - latSpan / 2) / stepLat) * stepLat; v <= midLat + latSpan / 2; v += stepLat) {
    grid.push(s('line', { x1: 0, x2: W, y1: y(v), y2: y(v), class: 'grid' }));
    grid.push(s('text', { x: 4, y: y(v) - 3, class: 'grid-label' }, fmtDeg(v, stepLat, 'N', 'S')));
  }
  const stepLon = niceStep(lonSpan);
  for (let v = Math.ceil((cx - lonSpan / 2) / stepLon) * stepLon; v <= cx + lonSpan / 2; v += stepLon) {
    grid.push(s('line', { y1: 0, y2: H, x1: x(v), x2: x(v), class: 'grid' }));
    grid.push(s('text', { x: x(v) + 3, y: H - 4, class: 'grid-label' }, fmtDeg(v, stepLon, 'E', 'W')));
  }
  // Scale bar: 1 km (or 10 km / 100 m, whichever fits about a quarter of the width).
  const pxPerKm = scale / 111.32;
  const km = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((d) => d * pxPerKm >= innerW / 6) ?? 1000;
  const bar = s(
    'g',
    { class: 'scale' },
    s('line', { x1: W - PAD - km * pxPerKm, x2: W - PAD, y1: PAD - 10, y2: PAD - 10 }),
    s('text', { x: W - PAD, y: PAD - 14, 'text-anchor': 'end' }, km >= 1 ? `${km} km` : `${km * 1000} m`),
  );
  const markers = pts.map((p) =>
    s(
      'g',
      { class: 'marker' },
      s('title', {}, `${p.name ?? 'Location'} (${p.lat}, ${p.lon})`),
      s('circle', { cx: x(p.lon), cy: y(p.lat), r: 9, class: 'halo' }),
      s('circle', { cx: x(p.lon), cy: y(p.lat), r: 4 }),
      s('text', { x: x(p.lon) + 12, y: y(p.lat) + 4 }, p.display ?? p.name ?? ''),
    ),
  );
  const label = `Map of ${pts.length} location${pts.length === 1 ? '' : 's'}: ${pts.map((p) => p.name ?? 'location').join(', ')}`;
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': label,
      class: 'map-svg',
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('rect', { x: 0, y: 0, width: W, height: H, class: 'bg' }),
    grid,
    bar,
    markers,
  );
  return h('figure', { class: 'map' }, svg, caption);
}
