/**
 * `threds dead-letters list|retry <id>|delete <id>` — agent messages whose retries ran out, through the gateway's
 * HTTP API (bin/commands/ops-client.ts: connection, auth, output, exit codes). A retry re-delivers the message once;
 * retrying again answers the first retry's outcome.
 */
import { connect, enc, guarded, noMore, one, parse, printJson, subcommand, table, time } from './ops-client';
import { UsageError } from '../usage';

const SUBCOMMANDS = ['list', 'retry', 'delete'] as const;

interface DeadLetterView {
  id: string;
  thredId: string;
  nodeType: string;
  error: string;
  createdAt: number;
  retriedAt?: number;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { limit: { type: 'string' } });
  const [sub, rest] = subcommand(positionals, SUBCOMMANDS);
  const conn = { url: values.url, token: values.token, user: values.user, password: values.password };
  if (sub !== 'list' && values.limit !== undefined) throw new UsageError(`--limit does not apply to "${sub}"`);
  if (sub === 'list') {
    noMore(rest);
    const limit = values.limit ?? '100';
    if (!/^[1-9]\d*$/.test(limit)) throw new UsageError(`--limit: must be a positive whole number (got "${limit}")`);
    return guarded(values.json, async () => {
      const api = await connect(conn);
      const body = await api.request<{ deadLetters: DeadLetterView[] }>('GET', `/dead-letters?limit=${limit}`);
      if (values.json) printJson(body);
      else if (body.deadLetters.length === 0) console.log('no dead letters');
      else {
        console.log(
          table(
            ['ID', 'THRED', 'AGENT', 'FAILED', 'RETRIED', 'ERROR'],
            body.deadLetters.map((d) => [
              d.id,
              d.thredId,
              d.nodeType,
              time(d.createdAt),
              d.retriedAt === undefined ? '-' : time(d.retriedAt),
              d.error,
            ]),
          ),
        );
      }
      return 0;
    });
  }
  const id = one(rest, '<deadLetterId>');
  return guarded(values.json, async () => {
    const api = await connect(conn);
    if (sub === 'retry') {
      const r = await api.request<{ id: string; thredId: string; eventId: string; retried: boolean }>(
        'POST',
        `/dead-letters/${enc(id)}/retry`,
      );
      if (values.json) printJson(r);
      else
        console.log(
          r.retried
            ? `retried ${id}: re-delivered to thred ${r.thredId}`
            : `${id} was already retried (thred ${r.thredId}); not delivered again`,
        );
      return 0;
    }
    const r = await api.request<{ id: string; deleted: boolean }>('DELETE', `/dead-letters/${enc(id)}`);
    if (values.json) printJson(r);
    else console.log(`deleted dead letter ${id}`);
    return 0;
  });
}
