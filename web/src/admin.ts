/**
 * Admin view (role admin): patterns (edit JSON, validate inline, save, simulate), all threds (status, reaction,
 * terminate, reset, Temporal UI link) and dead letters. Every call's error is shown where the action was taken.
 */
import { Api, describeError } from './api';
import { clear, fmtTime, h, toast } from './dom';
import type { Static } from 'typebox';
import type { PatternVersionsSchema } from '../../gateway/schemas';
import type { DeadLetter, Pattern, ThredView } from './types';

/** GET /patterns/:id/versions, typed by its route schema. */
type PatternVersions = Static<typeof PatternVersionsSchema>;
type ReportItem = { path?: string; reason?: string; message?: string };
interface Report {
  valid?: boolean;
  errors?: ReportItem[];
  warnings?: ReportItem[];
}

const TEMPORAL_UI_PORT = 8233;
export function temporalUrl(thredId: string, namespace = 'default'): string {
  return `${location.protocol}//${location.hostname}:${TEMPORAL_UI_PORT}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(thredId)}`;
}

export function renderAdmin(main: HTMLElement, api: Api, tab: string): void {
  const tabs: [string, string][] = [
    ['patterns', 'Patterns'],
    ['threds', 'Threds'],
    ['dead-letters', 'Dead letters'],
  ];
  const panel = h('div', { class: 'admin-panel' });
  clear(
    main,
    h('h2', { class: 'visually-hidden' }, 'Administration'),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Admin sections' },
      tabs.map(([id, label]) =>
        h('a', { href: `#/admin/${id}`, 'aria-current': id === tab ? 'page' : undefined }, label),
      ),
    ),
    panel,
  );
  if (tab === 'threds') void thredsPanel(panel, api);
  else if (tab === 'dead-letters') void deadLettersPanel(panel, api);
  else void patternsPanel(panel, api);
}

// ---------- patterns ----------
const NEW_PATTERN = {
  id: 'my_pattern',
  name: 'My pattern',
  meta: { active: false },
  reactions: [
    {
      name: 'start',
      condition: { type: 'filter', xpr: "$event.type = 'org.example.start'" },
    },
  ],
};

/** "Unexpected token … in JSON at position 42" → a message with line and column. */
function parseJson(text: string, what: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const col = Number(pos[1]) - before.lastIndexOf('\n');
      return { error: `${what} is not valid JSON (line ${line}, column ${col}): ${msg}` };
    }
    return { error: `${what} is not valid JSON: ${msg}` };
  }
}

function renderReport(box: HTMLElement, report: Report, heading: string): void {
  const errors = report.errors ?? [];
  const warnings = report.warnings ?? [];
  const ok = report.valid ?? errors.length === 0;
  box.className = `report ${ok ? 'ok' : 'bad'}`;
  clear(
    box,
    h('h4', {}, heading, ': ', ok ? 'valid' : `${errors.length} error${errors.length === 1 ? '' : 's'}`),
    errors.length
      ? h(
          'ul',
          { class: 'errors' },
          errors.map((e) => h('li', {}, h('code', {}, e.path || '/'), ' ', e.reason ?? e.message ?? '')),
        )
      : null,
    warnings.length
      ? h(
          'ul',
          { class: 'warnings' },
          warnings.map((w) => h('li', {}, 'warning ', h('code', {}, w.path || '/'), ' ', w.reason ?? w.message ?? '')),
        )
      : null,
  );
}

function reportError(box: HTMLElement, heading: string, err: unknown): void {
  const body = (err as { body?: { details?: ReportItem[]; errors?: ReportItem[] } }).body;
  const details = body?.details ?? body?.errors;
  if (details?.length)
    renderReport(box, { valid: false, errors: details }, `${heading} refused (${describeError(err).split(' — ')[0]})`);
  else {
    box.className = 'report bad';
    clear(box, h('h4', {}, `${heading} failed`), h('p', {}, describeError(err)));
  }
}

async function patternsPanel(panel: HTMLElement, api: Api): Promise<void> {
  const list = h('ul', { class: 'plain pattern-list', 'aria-label': 'Patterns' });
  const editor = h('textarea', {
    id: 'pattern-json',
    class: 'code',
    rows: 22,
    spellcheck: 'false',
    'aria-describedby': 'validation-report',
  });
  const report = h('div', { id: 'validation-report', class: 'report', role: 'status', 'aria-live': 'polite' });
  const events = h('textarea', { id: 'sim-events', class: 'code', rows: 6, spellcheck: 'false' });
  const simOut = h('div', { id: 'sim-result', class: 'sim', 'aria-live': 'polite' });
  const versions = h('div', { id: 'pattern-versions', class: 'versions', 'aria-live': 'polite' });
  events.value = JSON.stringify([{ id: 'sim_1', type: 'org.example.start', source: { id: 'participant0' } }], null, 2);

  const current = (): { value?: unknown; error?: string } => parseJson(editor.value, 'The pattern');
  const syntaxError = (e: string) => {
    report.className = 'report bad';
    clear(report, h('h4', {}, 'Syntax'), h('p', {}, e));
  };

  const load = async () => {
    try {
      const { patterns } = await api.call<{ patterns: Pattern[] }>('GET', '/patterns');
      clear(
        list,
        patterns.length === 0 ? h('li', { class: 'sub' }, 'No patterns stored.') : null,
        patterns.map((p) => {
          const id = p.id ?? '';
          const active = p.meta?.active !== false;
          return h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: 'link', onclick: () => void edit(id) },
              h('strong', {}, id),
              ' ',
              p.name,
            ),
            h('span', { class: `pill ${active ? 'active' : 'inactive'}` }, active ? 'active' : 'inactive'),
            ' ',
            h('a', { href: `#/pattern/${encodeURIComponent(id)}`, 'aria-label': `Diagram of ${id}` }, 'diagram'),
          );
        }),
      );
    } catch (err) {
      clear(list, h('li', { class: 'error-box', role: 'alert' }, `Could not load patterns: ${describeError(err)}`));
    }
  };
  /** Every stored version (SPEC §15), newest first; each loads into the editor (saving it makes a new version). */
  const showVersions = async (id: string, shown: number | undefined) => {
    try {
      const body = await api.call<PatternVersions>('GET', `/patterns/${encodeURIComponent(id)}/versions`);
      clear(
        versions,
        h('h3', {}, `Versions of ${id}`),
        h(
          'ol',
          { class: 'plain', 'aria-label': `Versions of ${id}` },
          [...body.versions].reverse().map((v) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  'aria-current': v.version === shown ? 'true' : 'false',
                  onclick: () => void edit(id, v.version),
                },
                `version ${v.version}`,
              ),
              ' ',
              h('span', { class: 'sub' }, new Date(v.createdAt).toLocaleString()),
              v.version === body.current ? h('span', { class: 'pill active' }, 'current') : null,
              v.active ? null : h('span', { class: 'pill inactive' }, 'inactive'),
            ),
          ),
        ),
      );
    } catch (err) {
      clear(versions, h('p', { class: 'error-box', role: 'alert' }, `Could not load versions: ${describeError(err)}`));
    }
  };
  const edit = async (id: string, version?: number) => {
    try {
      const query = version === undefined ? '' : `?version=${version}`;
      const pattern = await api.call<Record<string, unknown>>('GET', `/patterns/${encodeURIComponent(id)}${query}`);
      editor.value = JSON.stringify(pattern, null, 2);
      clear(report);
      report.className = 'report';
      editor.focus();
      void showVersions(id, typeof pattern.version === 'number' ? pattern.version : undefined);
    } catch (err) {
      toast(`Could not load pattern ${id}: ${describeError(err)}`, 'error');
    }
  };

  const validate = async (): Promise<boolean> => {
    const parsed = current();
    if (parsed.error) {
      syntaxError(parsed.error);
      return false;
    }
    try {
      const r = await api.call<Report>('POST', '/patterns/validate', parsed.value);
      renderReport(report, r, 'Validation');
      return r.valid ?? (r.errors ?? []).length === 0;
    } catch (err) {
      reportError(report, 'Validation', err);
      return false;
    }
  };
  const save = async () => {
    const parsed = current();
    if (parsed.error) return syntaxError(parsed.error);
    const p = parsed.value as { id?: string; name?: string };
    const id = p?.id ?? (p?.name ? p.name.toLowerCase().replace(/ /g, '_') : '');
    if (!id) {
      renderReport(
        report,
        { valid: false, errors: [{ path: '/id', reason: 'a pattern needs an id (or a name)' }] },
        'Save',
      );
      return;
    }
    if (!(await validate())) return;
    try {
      const { pattern } = await api.call<{ pattern: { version: number } }>(
        'PUT',
        `/patterns/${encodeURIComponent(id)}`,
        parsed.value,
      );
      toast(`Pattern ${id} saved as version ${pattern.version}`);
      const saved = h('p', { class: 'ok' }, `Saved as ${id}, version ${pattern.version}.`);
      report.append(saved);
      void load();
      void showVersions(id, pattern.version);
    } catch (err) {
      reportError(report, 'Save', err);
    }
  };
  const simulate = async () => {
    const parsed = current();
    if (parsed.error) return syntaxError(parsed.error);
    const ev = parseJson(events.value, 'The event list');
    if (ev.error || !Array.isArray(ev.value)) {
      clear(
        simOut,
        h('p', { class: 'error-box', role: 'alert' }, ev.error ?? 'The event list must be a JSON array of events.'),
      );
      return;
    }
    try {
      const trace = await api.call<Record<string, unknown>>('POST', '/patterns/simulate', {
        pattern: parsed.value,
        events: ev.value,
      });
      renderTrace(simOut, trace);
    } catch (err) {
      clear(simOut, h('p', { class: 'error-box', role: 'alert' }, `Simulation failed: ${describeError(err)}`));
    }
  };

  clear(
    panel,
    h(
      'div',
      { class: 'layout' },
      h(
        'aside',
        { class: 'side', 'aria-labelledby': 'patterns-title' },
        h(
          'div',
          { class: 'row' },
          h('h3', { id: 'patterns-title' }, 'Patterns'),
          h('button', { type: 'button', class: 'link', onclick: () => void load() }, 'Refresh'),
        ),
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              editor.value = JSON.stringify(NEW_PATTERN, null, 2);
              clear(report);
              editor.focus();
            },
          },
          'New pattern',
        ),
        h(
          'label',
          { class: 'file' },
          'Upload JSON file ',
          h('input', {
            type: 'file',
            accept: '.json,application/json',
            onchange: (ev: Event) => {
              const file = (ev.target as HTMLInputElement).files?.[0];
              if (file)
                void file.text().then((t) => {
                  editor.value = t;
                  void validate();
                });
            },
          }),
        ),
        list,
      ),
      h(
        'section',
        { class: 'content' },
        h('label', { for: 'pattern-json' }, h('h3', {}, 'Pattern JSON')),
        editor,
        h(
          'div',
          { class: 'row buttons' },
          h('button', { type: 'button', onclick: () => void validate() }, 'Validate'),
          h('button', { type: 'button', class: 'primary', onclick: () => void save() }, 'Save'),
        ),
        report,
        versions,
        h('label', { for: 'sim-events' }, h('h3', {}, 'Simulate with events (JSON array)')),
        events,
        h('div', { class: 'row buttons' }, h('button', { type: 'button', onclick: () => void simulate() }, 'Simulate')),
        simOut,
      ),
    ),
  );
  await load();
}

function renderTrace(box: HTMLElement, trace: Record<string, unknown>): void {
  const steps = (trace.steps as Record<string, unknown>[] | undefined) ?? [];
  const errors = (trace.errors as ReportItem[] | undefined) ?? [];
  const rows = steps.map((st) => {
    const ev = st.event as { type?: string; id?: string } | undefined;
    const effects = (st.effects as { type?: string }[] | undefined) ?? [];
    const err = st.error as { code?: number; message?: string } | undefined;
    return h(
      'tr',
      {},
      h('td', {}, String(st.index ?? '')),
      h('td', {}, st.kind === 'expiry' ? 'expiry' : (ev?.type ?? '')),
      h('td', {}, st.matched ? 'yes' : 'no', st.started ? ' (started)' : ''),
      h('td', {}, `${String(st.from ?? '—')} → ${String(st.to ?? '—')}`),
      h('td', {}, String(st.status ?? '')),
      h(
        'td',
        {},
        effects.length
          ? h(
              'details',
              {},
              h('summary', {}, effects.map((e) => e.type).join(', ')),
              h('pre', {}, JSON.stringify(effects, null, 2)),
            )
          : '—',
        err ? h('p', { class: 'error-box' }, `${err.code ?? ''} ${err.message ?? ''}`) : null,
        st.note ? h('p', { class: 'sub' }, String(st.note)) : null,
      ),
    );
  });
  clear(
    box,
    errors.length
      ? h(
          'ul',
          { class: 'errors' },
          errors.map((e) => h('li', {}, h('code', {}, e.path || '/'), ' ', e.reason ?? '')),
        )
      : null,
    h(
      'table',
      {},
      h(
        'caption',
        {},
        `Simulation: ${steps.length} step${steps.length === 1 ? '' : 's'}${trace.thredId ? `, thred ${String(trace.thredId)}` : ''}`,
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['#', 'event', 'matched', 'reaction', 'status', 'effects'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

// ---------- threds ----------
interface BatchProgress {
  batchId: string;
  state: 'running' | 'completed' | 'failed';
  total: number;
  done: number;
  failed: number;
  errors: { thredId: string; reason: string }[];
}

async function thredsPanel(panel: HTMLElement, api: Api): Promise<void> {
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
    h(
      'table',
      { class: 'threds-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['thred', 'pattern', 'status', 'reaction', 'participants', 'updated', 'actions'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      tbody,
    ),
  );
  await load();
}

// ---------- dead letters ----------
async function deadLettersPanel(panel: HTMLElement, api: Api): Promise<void> {
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
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['when', 'thred', 'agent', 'error', 'message', 'actions'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      tbody,
    ),
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
