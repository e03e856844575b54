/** Admin → Threds: filters, one thred's terminate and reset, batch operations with a confirmed count. */
import { type Api, describeError } from '../api';
import { clear, dataTable, fmtTime, h } from '../dom';
import type { ThredView } from '../types';
import { temporalUrl } from './shared';

interface BatchProgress {
  batchId: string;
  state: 'running' | 'completed' | 'failed';
  total: number;
  done: number;
  failed: number;
  errors: { thredId: string; reason: string }[];
}

export async function thredsPanel(panel: HTMLElement, api: Api): Promise<void> {
  const status = h(
    'select',
    { id: 'thred-status' },
    ['', 'active', 'finished', 'terminated'].map((v) => h('option', { value: v }, v || 'any')),
  );
  const pattern = h('input', { id: 'thred-pattern', placeholder: 'pattern id' });
  const reaction = h('input', { id: 'thred-reaction', placeholder: 'reaction' });
  const batchOp = h(
    'select',
    { id: 'batch-op' },
    ['terminate', 'transition', 'reset'].map((v) => h('option', { value: v }, v)),
  );
  const batchTo = h('input', { id: 'batch-to', placeholder: 'transition: reaction · reset: first/last' });
  const tbody = h('tbody');
  const msg = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });

  const action = async (label: string, fn: () => Promise<unknown>) => {
    msg.className = 'status pending';
    msg.textContent = `${label}…`;
    try {
      await fn();
      msg.className = 'status ok';
      msg.textContent = `${label}: done`;
      await load();
    } catch (err) {
      msg.className = 'status error';
      msg.textContent = `${label} failed: ${describeError(err)}`;
    }
  };

  const load = async () => {
    const q = new URLSearchParams({ limit: '200' });
    if (status.value) q.set('status', status.value);
    if (pattern.value.trim()) q.set('pattern', pattern.value.trim());
    try {
      const body = await api.call<{ threds: ThredView[] }>('GET', `/threds?${q}`);
      const wanted = reaction.value.trim();
      const threds = body.threds.filter((t) => !wanted || t.reaction === wanted);
      threds.sort((a, b) => (b.updateTime ?? b.startTime ?? 0) - (a.updateTime ?? a.startTime ?? 0));
      clear(
        tbody,
        threds.length === 0 ? h('tr', {}, h('td', { colspan: 7, class: 'sub' }, 'No threds.')) : null,
        threds.map((t) => {
          const resetTo = h(
            'select',
            { 'aria-label': `Reset point for ${t.thredId}` },
            ['last-workflow-task', 'first-workflow-task'].map((v) => h('option', { value: v }, v)),
          );
          const ended = t.status === 'terminated';
          // Temporal re-applies updates after the reset point by default; for an ended thred that would re-apply an
          // admin terminate and end it again, so a reset there revives the thred unless the box is checked.
          const reapplyUpdates = h('input', {
            type: 'checkbox',
            checked: !ended,
            'aria-label': `Re-apply updates when resetting ${t.thredId}`,
          });
          return h(
            'tr',
            { 'data-thred-id': t.thredId },
            h('td', { class: 'mono' }, h('a', { href: `#/thred/${encodeURIComponent(t.thredId)}` }, t.thredId)),
            h('td', {}, t.patternId ?? ''),
            h('td', {}, h('span', { class: `pill ${t.status ?? ''}` }, t.status ?? '')),
            h('td', {}, t.reaction ?? '—'),
            h('td', {}, (t.participants ?? []).join(', ')),
            h('td', {}, fmtTime(t.updateTime ?? t.startTime)),
            h(
              'td',
              {},
              h(
                'div',
                { class: 'actions' },
                h('a', { href: temporalUrl(t.thredId), target: '_blank', rel: 'noopener' }, 'Temporal UI'),
                h(
                  'button',
                  {
                    type: 'button',
                    disabled: ended,
                    onclick: () => {
                      if (confirm(`Terminate thred ${t.thredId}?`))
                        void action(`Terminate ${t.thredId}`, () =>
                          api.call('POST', `/threds/${encodeURIComponent(t.thredId)}/terminate`, {}),
                        );
                    },
                  },
                  'Terminate',
                ),
                resetTo,
                h(
                  'label',
                  { title: 'admin terminate/transition and offered unbound events after the reset point' },
                  reapplyUpdates,
                  're-apply updates',
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: () =>
                      void action(`Reset ${t.thredId}`, () =>
                        api.call('POST', `/threds/${encodeURIComponent(t.thredId)}/reset`, {
                          to: resetTo.value,
                          ...(!reapplyUpdates.checked && { reapplyExclude: ['updates'] }),
                        }),
                      ),
                  },
                  'Reset',
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
          h('td', { colspan: 7, class: 'error-box', role: 'alert' }, `Could not load threds: ${describeError(err)}`),
        ),
      );
    }
  };
  const filters = h(
    'form',
    { class: 'row filters', 'aria-label': 'Filter threds' },
    h('label', { for: 'thred-status' }, 'Status'),
    status,
    h('label', { for: 'thred-pattern' }, 'Pattern'),
    pattern,
    h('label', { for: 'thred-reaction' }, 'Reaction'),
    reaction,
    h('button', { type: 'submit' }, 'Apply'),
  );
  // Acts on every thred the filter selects (POST /threds/batch): a dry run first, so the confirmation names the count.
  const runBatch = async () => {
    const filter = {
      ...(status.value && { status: status.value }),
      ...(pattern.value.trim() && { pattern: pattern.value.trim() }),
      ...(reaction.value.trim() && { reaction: reaction.value.trim() }),
    };
    const op = batchOp.value;
    const to = batchTo.value.trim();
    const args =
      op === 'transition'
        ? { transition: { name: to } }
        : op === 'reset'
          ? { to: to === 'first' ? 'first-workflow-task' : 'last-workflow-task' }
          : {};
    const label = `Batch ${op}`;
    try {
      const dry = await api.call<{ count: number }>('POST', '/threds/batch', { op, filter, ...args, dryRun: true });
      if (!confirm(`${op} ${dry.count} thred${dry.count === 1 ? '' : 's'}?`)) return;
      await action(label, async () => {
        let b = await api.call<BatchProgress>('POST', '/threds/batch', { op, filter, ...args });
        while (b.state === 'running') {
          msg.textContent = `${label}: ${b.done} done, ${b.failed} failed of ${b.total}…`;
          await new Promise((r) => setTimeout(r, 500));
          b = await api.call<BatchProgress>('GET', `/threds/batch/${encodeURIComponent(b.batchId)}`);
        }
        if (b.failed > 0)
          throw new Error(
            `${b.failed} of ${b.total} failed: ${b.errors.map((e) => `${e.thredId}: ${e.reason}`).join('; ')}`,
          );
      });
    } catch (err) {
      msg.className = 'status error';
      msg.textContent = `${label} failed: ${describeError(err)}`;
    }
  };
  const batchRow = h(
    'div',
    { class: 'row filters', role: 'group', 'aria-label': 'Act on all matching threds' },
    h('label', { for: 'batch-op' }, 'All matching'),
    batchOp,
    h('label', { for: 'batch-to' }, 'to'),
    batchTo,
    h('button', { type: 'button', id: 'batch-run', onclick: () => void runBatch() }, 'Act on matching…'),
  );
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load();
  });
  clear(
    panel,
    h('h3', {}, 'Threds'),
    filters,
    batchRow,
    msg,
    dataTable(
      { class: 'threds-table' },
      ['thred', 'pattern', 'status', 'reaction', 'participants', 'updated', 'actions'],
      tbody,
    ),
  );
  await load();
}
