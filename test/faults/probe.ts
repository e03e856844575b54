/** The HTTP endpoint the slow agent (slow-agent.mjs) reports each attempt's start and end to. */
import { createServer, type Server } from 'node:http';

export interface AgentNote {
  what: 'start' | 'done';
  messageId: string;
  eventId: string;
  thredId?: string;
  attempt: number;
  pid: number;
  at: number;
}

export class AgentProbe {
  readonly notes: AgentNote[] = [];
  private server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const what = req.url === '/done' ? 'done' : 'start';
      this.notes.push({ ...(JSON.parse(body) as Omit<AgentNote, 'what' | 'at'>), what, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  of(thredId: string, what: AgentNote['what']): AgentNote[] {
    return this.notes.filter((n) => n.thredId === thredId && n.what === what);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
