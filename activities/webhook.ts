/**
 * `builtin:webhook` — a notification agent: POSTs each Message as JSON to `options.url`, signed with
 * `X-Threds-Signature: sha256=<hex HMAC-SHA256 of the body with options.secret>` so the receiver can check it came
 * from Threds. 2xx → done (a JSON answer with a `data` object becomes the reply event, anything else no reply);
 * 4xx (but 408/429) → permanent error reply; 5xx, 408, 429, timeouts and network errors → thrown, so the agent's retry
 * policy retries them.
 */
import { createHmac } from 'node:crypto';
import { AgentErrorCodes, TaskError } from './agents/errors';
import { AgentNotConfigured, type AgentImplementation, type AgentInit, type AgentReply } from './agents/types';

export const SIGNATURE_HEADER = 'X-Threds-Signature';

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  headers: Record<string, string>;
}

/** Required: url, and secret (or secretEnv naming an environment variable, to keep it out of agents.json). */
export function webhookOptions(o: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): WebhookOptions {
  const url = typeof o.url === 'string' ? o.url : '';
  if (!/^https?:\/\//.test(url))
    throw new AgentNotConfigured('builtin:webhook needs options.url (http:// or https://)');
  const secret =
    typeof o.secret === 'string' && o.secret !== ''
      ? o.secret
      : typeof o.secretEnv === 'string'
        ? env[o.secretEnv]
        : undefined;
  if (!secret)
    throw new AgentNotConfigured('builtin:webhook needs options.secret (or options.secretEnv naming a set variable)');
  const timeoutMs = typeof o.timeoutMs === 'number' && o.timeoutMs > 0 ? o.timeoutMs : 10_000;
  const headers: Record<string, string> = {};
  if (o.headers && typeof o.headers === 'object')
    for (const [k, v] of Object.entries(o.headers)) if (typeof v === 'string') headers[k] = v;
  return { url, secret, timeoutMs, headers };
}

/** Retried: the receiver may recover. */
class WebhookUnavailable extends Error {
  override name = 'WebhookUnavailable';
}

export function createWebhookAgent(init: AgentInit): AgentImplementation {
  const opts = webhookOptions(init.options);
  return {
    async handleMessage(message, ctx): Promise<AgentReply> {
      const body = JSON.stringify(message);
      const timeout = AbortSignal.timeout(opts.timeoutMs);
      let res: Response;
      try {
        res = await fetch(opts.url, {
          method: 'POST',
          body,
          redirect: 'manual',
          signal: AbortSignal.any([ctx.signal, timeout]),
          headers: {
            ...opts.headers,
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: sign(body, opts.secret),
            // Lets the receiver drop a retried delivery it has already handled.
            'X-Threds-Message-Id': message.id,
            'X-Threds-Attempt': String(ctx.attempt),
          },
        });
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (timeout.aborted) throw new WebhookUnavailable(`webhook timed out after ${opts.timeoutMs} ms`);
        throw new WebhookUnavailable(`webhook unreachable: ${(err as Error).message}`);
      }
      const text = await res.text().catch(() => '');
      if (res.status >= 500 || res.status === 408 || res.status === 429)
        throw new WebhookUnavailable(`webhook answered ${res.status} ${res.statusText}`);
      if (res.status < 200 || res.status >= 300)
        throw new TaskError(
          `webhook answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`,
          AgentErrorCodes.TASK_ERROR,
        );
      ctx.logger.debug({ status: res.status }, 'webhook delivered');
      try {
        const answer = JSON.parse(text) as { data?: unknown };
        if (answer && typeof answer.data === 'object' && answer.data !== null) return { data: answer.data as object };
      } catch {
        // not JSON: a plain acknowledgement
      }
      return null;
    },
  };
}
