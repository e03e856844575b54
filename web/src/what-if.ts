/**
 * "What if" on a thred page (admins): the thred's pattern in an editor, and — after Replay — the path the thred
 * really took (its log) beside the path the edited pattern would take over the same events
 * (POST /threds/:id/replay), the first divergence marked on both sides.
 */
import { Api, describeError } from './api';
import { clear, dataTable, h } from './dom';

interface Decision {
  kind: string;
  eventId?: string | null;
  from: string | null;
  to: string | null;
}
interface ReplayStep {
  index: number;
  kind: string;
  event?: { id?: string; type?: string };
  matched: boolean;
  from: string | null;
  to: string | null;
  note?: string;
  error?: { code?: number; message?: string };
}
interface ReplayAnswer {
  steps: ReplayStep[];
  final: { status: string; reaction: string | null; locals: Record<string, unknown> } | null;
  diverges: { atEvent: string | null; atStep: number | null; was: Decision | null; now: Decision | null } | null;
}

/** The first differing row, on both sides. */
const DIVERGES = { class: 'diverges', 'data-diverges': 'true', style: 'outline:2px solid var(--bad, #c0392b)' };
const DECISIONS = new Set(['matched', 'no_match', 'expired', 'error']);
const move = (d: { from: string | null; to: string | null }) => `${d.from ?? '—'} → ${d.to ?? '—'}`;
const sameDecision = (a: Decision, b: Decision) =>
  a.kind === b.kind && (a.eventId ?? null) === (b.eventId ?? null) && a.from === b.from && a.to === b.to;

export function whatIfPanel(api: Api, thredId: string): HTMLElement {
  const path = `/threds/${encodeURIComponent(thredId)}`;
  const editor = h('textarea', { id: 'what-if-pattern', rows: 14, spellcheck: 'false', class: 'code' });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  // The two paths side by side (the stylesheet is shared; this layout is the panel's own).
  const paths = h('div', {
    class: 'what-if-paths',
    style: 'display:grid;grid-template-columns:1fr 1fr;gap:1rem;overflow-x:auto',
  });
  const run = h('button', { type: 'submit' }, 'Replay');
  const form = h(
    'form',
    { class: 'what-if-form', 'aria-label': 'What if this thred had run another pattern' },
    h('label', { for: 'what-if-pattern' }, 'Pattern (edit, then replay the thred’s events through it)'),
    editor,
    h('div', { class: 'row' }, run),
    status,
  );
  const box = h('details', { class: 'what-if card' }, h('summary', {}, 'What if…'), form, paths);

  let loaded = false;
  box.addEventListener('toggle', () => {
    if (!box.open || loaded) return;
    loaded = true;
    void (async () => {
      try {
        const thred = await api.call<{ patternId: string }>('GET', path);
        const pattern = await api.call<unknown>('GET', `/patterns/${encodeURIComponent(thred.patternId)}`);
        editor.value = JSON.stringify(pattern, null, 2);
      } catch (err) {
        status.className = 'status error';
        status.textContent = `Could not load the thred's pattern: ${describeError(err)}`;
      }
    })();
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let pattern: unknown;
    try {
      pattern = JSON.parse(editor.value);
    } catch (err) {
      status.className = 'status error';
      status.textContent = `The pattern is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    run.disabled = true;
    status.className = 'status pending';
    status.textContent = 'Replaying…';
    void Promise.all([
      api.call<ReplayAnswer>('POST', `${path}/replay`, { pattern }),
      api.call<{ log: Decision[] }>('GET', `${path}/log`),
    ])
      .then(([answer, { log }]) => {
        const d = answer.diverges;
        status.className = d ? 'status error' : 'status ok';
        status.textContent = d
          ? `Diverges at ${d.atEvent ?? 'a timer'}: was ${d.was ? `${d.was.kind} ${move(d.was)}` : 'nothing'}, now ${d.now ? `${d.now.kind} ${move(d.now)}` : 'nothing'}`
          : `Same path. Would end ${answer.final?.status ?? '—'} at ${answer.final?.reaction ?? '—'}.`;
        renderPaths(
          paths,
          log.filter((r) => DECISIONS.has(r.kind)),
          answer,
        );
      })
      .catch((err: unknown) => {
        status.className = 'status error';
        status.textContent = `Replay failed: ${describeError(err)}`;
      })
      .finally(() => (run.disabled = false));
  });
  return box;
}

function renderPaths(box: HTMLElement, real: Decision[], answer: ReplayAnswer): void {
  const was = answer.diverges?.was;
  const wasAt = was ? real.findIndex((r) => sameDecision(r, was)) : -1;
  const table = (caption: string, head: string[], rows: HTMLElement[]) =>
    dataTable({ class: 'what-if-path' }, head, rows, caption);
  clear(
    box,
    table(
      'What happened',
      ['event', 'decision', 'reaction'],
      real.map((r, i) =>
        h(
          'tr',
          i === wasAt ? DIVERGES : {},
          h('td', { class: 'mono' }, r.eventId ?? 'timer'),
          h('td', {}, r.kind),
          h('td', {}, move(r)),
        ),
      ),
    ),
    table(
      'What if',
      ['event', 'matched', 'reaction'],
      answer.steps.map((s) =>
        h(
          'tr',
          s.index === answer.diverges?.atStep ? DIVERGES : {},
          h('td', { class: 'mono' }, s.kind === 'expiry' ? 'timer' : (s.event?.id ?? '')),
          h('td', {}, s.matched ? 'yes' : 'no', s.note ? h('span', { class: 'sub' }, ` (${s.note})`) : null),
          h(
            'td',
            {},
            move(s),
            s.error ? h('span', { class: 'error-box' }, ` ${s.error.code ?? ''} ${s.error.message ?? ''}`) : null,
          ),
        ),
      ),
    ),
  );
}
