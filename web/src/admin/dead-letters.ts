/** Admin → Dead letters: agent calls that failed for good, with retry (once) and delete. */
import { type Api, describeError } from '../api';
import { clear, dataTable, fmtTime, h } from '../dom';
import type { DeadLetter } from '../types';
import { temporalUrl } from './shared';

export async function deadLettersPanel(panel: HTMLElement, api: Api): Promise<void> {
  const tbody = h('tbody');
  const msg = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const act = async (label: string, fn: () => Promise<string>) => {
    try {
      msg.className = 'status ok';
      msg.textContent = `${label}: ${await fn()}`;
      await deadLettersPanel(panel, api).then(() => panel.querySelector('p.status')?.replaceWith(msg));
    } catch (err) {
      msg.className = 'status error';
      msg.textContent = `${label} failed: ${describeError(err)}`;
    }
  };
  clear(
    panel,
    h('h3', {}, 'Dead letters'),
    h('p', { class: 'sub' }, 'Agent messages whose retries were exhausted; the thred received an error event (5200).'),
    msg,
    dataTable({}, ['when', 'thred', 'agent', 'error', 'message', 'actions'], tbody),
  );
  try {
    const { deadLetters: letters } = await api.call<{ deadLetters: DeadLetter[] }>('GET', '/dead-letters');
    clear(
      tbody,
      letters.length === 0 ? h('tr', {}, h('td', { colspan: 6, class: 'sub' }, 'No dead letters.')) : null,
      letters.map((d) => {
        const id = d._id;
        const path = `/dead-letters/${encodeURIComponent(id)}`;
        return h(
          'tr',
          { 'data-dead-letter-id': id },
          h('td', {}, fmtTime(d.createdAt as number | undefined)),
          h(
            'td',
            { class: 'mono' },
            h(
              'a',
              { href: temporalUrl(String(d.thredId ?? '')), target: '_blank', rel: 'noopener' },
              String(d.thredId ?? ''),
            ),
          ),
          h('td', {}, String(d.nodeType ?? '')),
          h('td', {}, String(d.error ?? ''), d.attempts ? ` (${String(d.attempts)} attempts)` : ''),
          h(
            'td',
            {},
            h('details', {}, h('summary', {}, id || 'message'), h('pre', {}, JSON.stringify(d.message, null, 2))),
          ),
          h(
            'td',
            {},
            h(
              'div',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  disabled: d.retriedAt !== undefined,
                  title:
                    d.retriedAt !== undefined
                      ? `retried ${fmtTime(d.retriedAt as number)}`
                      : 'call the agent again, once',
                  onclick: () =>
                    void act(`Retry ${id}`, async () => {
                      const r = await api.call<{ retried: boolean }>('POST', `${path}/retry`);
                      return r.retried ? 're-sent to the agent' : 'already retried; not sent again';
                    }),
                },
                d.retriedAt !== undefined ? 'Retried' : 'Retry',
              ),
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => {
                    if (confirm(`Delete dead letter ${id}?`))
                      void act(`Delete ${id}`, async () => {
                        await api.call('DELETE', path);
                        return 'deleted';
                      });
                  },
                },
                'Delete',
              ),
            ),
          ),
        );
      }),
    );
  } catch (err) {
    clear(
      tbody,
      h(
        'tr',
        {},
        h(
          'td',
          { colspan: 6, class: 'error-box', role: 'alert' },
          `Could not load dead letters: ${describeError(err)}`,
        ),
      ),
    );
  }
}
