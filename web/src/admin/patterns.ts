/** Admin → Patterns: the JSON editor with inline validation, save (a new version each time), versions, simulate. */
import type { Static } from 'typebox';
import type { PatternVersionsSchema } from '../../../gateway/schemas';
import { type Api, describeError } from '../api';
import { clear, dataTable, h, toast } from '../dom';
import type { Pattern } from '../types';

type PatternVersions = Static<typeof PatternVersionsSchema>;
type ReportItem = { path?: string; reason?: string; message?: string };
interface Report {
  valid?: boolean;
  errors?: ReportItem[];
  warnings?: ReportItem[];
}

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

export async function patternsPanel(panel: HTMLElement, api: Api): Promise<void> {
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
    dataTable(
      {},
      ['#', 'event', 'matched', 'reaction', 'status', 'effects'],
      rows,
      `Simulation: ${steps.length} step${steps.length === 1 ? '' : 's'}${trace.thredId ? `, thred ${String(trace.thredId)}` : ''}`,
    ),
  );
}
