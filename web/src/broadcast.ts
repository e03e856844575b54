/** The form on a thred's page that broadcasts a text to the thred's other participants (org.wt.client.broadcast). */
import type { Api } from './api';
import { h } from './dom';
import { newEventId, type Live } from './live';

/** `live` is read on submit: the connection may have been replaced since the form was drawn. */
export function broadcastForm(api: Api, live: () => Live | null, thredId: string): HTMLElement {
  const input = h('input', { id: 'broadcast-text', name: 'message', required: true, autocomplete: 'off' });
  const status = h('p', { class: 'status', role: 'status' });
  const button = h('button', { type: 'submit' }, 'Broadcast');
  const form = h(
    'form',
    { class: 'broadcast-form card', 'aria-label': 'Broadcast to this thred' },
    h('label', { for: 'broadcast-text' }, 'Message to the other participants of this thred'),
    h('div', { class: 'row' }, input, button),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    const connection = live();
    if (!text || !connection) return;
    button.disabled = true;
    status.className = 'status pending';
    status.textContent = 'Sending…';
    connection
      .send({
        id: newEventId(),
        type: 'org.wt.client.broadcast',
        thredId,
        source: { id: api.session?.participantId ?? '' },
        time: Date.now(),
        data: { content: { values: { message: text } } },
      })
      .then(
        () => {
          status.className = 'status ok';
          status.textContent = 'Sent (a refusal arrives as an error message below).';
          input.value = '';
        },
        (err: unknown) => {
          status.className = 'status error';
          status.textContent = `Not sent: ${err instanceof Error ? ((err as { describe?: () => string }).describe?.() ?? err.message) : String(err)}`;
        },
      )
      .finally(() => (button.disabled = false));
  });
  return form;
}
