/** A WebSocket client of the gateway that resolves waiters by the `ping` value the bench patterns echo back. */
import WebSocket from 'ws';

export interface WsClient {
  /** When the message echoing `ping` arrived; rejects after 30 s (a lost message is an error, not a hang). */
  arrival(ping: string): Promise<number>;
  /** Milliseconds from `send` starting to the arrival of the message echoing `ping`. */
  roundTrip(ping: string, send: () => Promise<unknown>): Promise<number>;
  close(): void;
}

export async function wsClient(baseUrl: string, token: string): Promise<WsClient> {
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/ws');
  const waiters = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  await new Promise<void>((ok, fail) => {
    ws.once('error', fail);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'hello', token, since: Date.now() }));
    });
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as {
        type: string;
        message?: { event?: { data?: { content?: { values?: { ping?: string } } } } };
      };
      if (frame.type === 'welcome') ok();
      const ping = frame.message?.event?.data?.content?.values?.ping;
      if (frame.type === 'message' && ping) {
        const w = waiters.get(ping);
        if (w) {
          waiters.delete(ping);
          w(Date.now());
        } else early.set(ping, Date.now());
      }
    });
  });
  const arrival = (ping: string): Promise<number> => {
    const at = early.get(ping);
    if (at !== undefined) {
      early.delete(ping);
      return Promise.resolve(at);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(ping);
        reject(new Error(`no message for ${ping} within 30 s`));
      }, 30_000);
      waiters.set(ping, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  };
  return {
    arrival,
    async roundTrip(ping, send) {
      const t0 = Date.now();
      const arrived = arrival(ping);
      arrived.catch(() => undefined); // awaited below; a failed send must not leave it unhandled
      await send();
      return (await arrived) - t0;
    },
    close: () => ws.close(),
  };
}
