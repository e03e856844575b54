/**
 * `threds sensor --id sensor_agent0 --interval 5s [--count N] [--sensor-id sensor0] [--lat 51.5 --lon -0.12]
 *                [--jitter 0.001] [--url http://localhost:3000] [--roles a,b]`
 * A demo and load source: posts `org.wt.sensor.detectionEvent` events (content.values { sensorId, latitude,
 * longitude }) to the gateway's POST /events as participant `--id`, with an access token minted from the configured
 * JWT secret, exactly as `threds token` mints it. Ctrl-C stops it; exit code 1 when no event was accepted.
 * Usage text: COMMANDS in bin/threds.ts; bad arguments throw UsageError (exit 2).
 * Durations as everywhere in the CLI: 500ms, 5s, 1m (a bare number is ms).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { parseDuration, signAccessToken } from '../../gateway/tokens';
import { UsageError } from '../usage';

export function detectionEvent(opts: {
  id: string;
  sensorId: string;
  latitude: number;
  longitude: number;
  seq: number;
}) {
  return {
    id: `${opts.sensorId}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    type: 'org.wt.sensor.detectionEvent',
    source: { id: opts.id, name: `Sensor ${opts.sensorId}` },
    time: Date.now(),
    data: {
      title: 'Possible UAV detected',
      content: {
        valuesType: 'detection',
        values: { sensorId: opts.sensorId, latitude: opts.latitude, longitude: opts.longitude, seq: opts.seq },
      },
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        id: { type: 'string', default: 'sensor_agent0' },
        interval: { type: 'string', default: '5s' },
        count: { type: 'string' },
        'sensor-id': { type: 'string', default: 'sensor0' },
        lat: { type: 'string', default: '51.5007' },
        lon: { type: 'string', default: '-0.1246' },
        jitter: { type: 'string', default: '0' },
        url: { type: 'string' },
        roles: { type: 'string', default: '' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const interval = parseDuration(values.interval);
  if (interval === undefined)
    throw new UsageError(`--interval: not a duration: "${values.interval}" (use e.g. 500ms, 5s, 1m)`);
  const count = values.count === undefined ? Infinity : Number(values.count);
  const [lat, lon, jitter] = [Number(values.lat), Number(values.lon), Number(values.jitter)];
  if (!Number.isInteger(count) && count !== Infinity) throw new UsageError('--count must be an integer');
  if (![lat, lon, jitter].every(Number.isFinite) || Math.abs(lat) > 90 || Math.abs(lon) > 180)
    throw new UsageError('--lat/--lon/--jitter must be numbers (|lat| ≤ 90, |lon| ≤ 180)');

  const config = loadConfig();
  const url = (values.url ?? `http://localhost:${config.port}`).replace(/\/$/, '');
  const roles = values.roles.split(',').filter(Boolean);
  const ttlMs = Math.max(3_600_000, interval * (count === Infinity ? 1000 : count + 10));
  const { token } = signAccessToken(config.jwtSecret, { participantId: values.id, roles, ttlMs });

  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  let accepted = 0;
  let failed = 0;
  console.log(
    `[sensor] ${values.id} → ${url}/events every ${interval} ms${count === Infinity ? '' : `, ${count} events`}`,
  );
  try {
    for (let seq = 1; seq <= count && !stop; seq++) {
      const shake = () => (jitter ? (Math.random() * 2 - 1) * jitter : 0);
      const event = detectionEvent({
        id: values.id,
        sensorId: values['sensor-id'],
        latitude: Number((lat + shake()).toFixed(6)),
        longitude: Number((lon + shake()).toFixed(6)),
        seq,
      });
      try {
        const res = await fetch(`${url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(event),
        });
        const body = (await res.json().catch(() => ({}))) as {
          results?: { thredIds?: string[]; started?: string[]; refused?: unknown[]; error?: { message?: string } }[];
          message?: string;
        };
        const r = body.results?.[0];
        if (res.ok && !r?.error) {
          accepted++;
          const refused = r?.refused?.length ? ` refused ${JSON.stringify(r.refused)}` : '';
          console.log(
            `[sensor] #${seq} ${event.id} → ${res.status} started [${(r?.started ?? []).join(', ')}]${refused}`,
          );
        } else {
          failed++;
          console.error(`[sensor] #${seq} ${event.id} → ${res.status} ${r?.error?.message ?? body.message ?? ''}`);
        }
      } catch (err) {
        failed++;
        console.error(`[sensor] #${seq} ${url} unreachable: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (seq < count && !stop)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, interval);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  console.log(`[sensor] done: ${accepted} accepted, ${failed} failed`);
  return accepted === 0 && failed > 0 ? 1 : 0;
}
