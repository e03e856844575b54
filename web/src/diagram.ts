/**
 * Pattern diagrams in the console (SPEC §15 "Diagram"): the Mermaid text of `GET /patterns/:id/diagram` or
 * `GET /threds/:id/diagram` (current reaction `current`, visited ones `visited`), rendered to SVG by Mermaid. Mermaid
 * is large, so it is imported on first use: esbuild splits it into its own chunks (web/build.ts), and the console's
 * main bundle stays small. Thred diagrams refresh when a message of the thred arrives.
 */
import type { Api } from './api';
import { ApiRequestError } from './api';
import { h } from './dom';

type MermaidApi = (typeof import('mermaid'))['default'];
let mermaidLoad: Promise<MermaidApi> | undefined;

function loadMermaid(): Promise<MermaidApi> {
  mermaidLoad ??= import('mermaid').then(({ default: mermaid }) => {
    // strict: labels are text, never HTML or click handlers (reaction names come from pattern authors).
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', fontFamily: 'inherit' });
    return mermaid;
  });
  return mermaidLoad;
}

/** The diagram text (text/vnd.mermaid; the JSON client would try to parse it). One refresh-and-retry on 401. */
async function fetchDiagram(api: Api, path: string): Promise<string> {
  const get = () =>
    fetch(path, {
      headers: {
        accept: 'text/vnd.mermaid, application/json',
        authorization: `Bearer ${api.session?.accessToken ?? ''}`,
      },
    });
  let res = await get();
  if (res.status === 401 && (await api.refresh())) res = await get();
  const text = await res.text();
  if (!res.ok) {
    let body: { message?: string } = { message: text.slice(0, 300) };
    try {
      body = JSON.parse(text) as { message?: string };
    } catch {
      // not JSON: keep the text
    }
    throw new ApiRequestError(res.status, { message: body.message ?? `HTTP ${res.status}` });
  }
  return text;
}

let renderCount = 0;

export interface DiagramPanel {
  element: HTMLElement;
  /** Fetch and draw again (debounced; a second pass catches a read model that lagged behind the message). */
  refresh(): void;
  /** The thred this panel follows, if any. */
  thredId?: string;
}

/** A card that draws `GET <path>` as SVG. `kind` labels it for assistive technology and tests. */
export function diagramPanel(api: Api, opts: { patternId?: string; thredId?: string }): DiagramPanel {
  const path = opts.thredId
    ? `/threds/${encodeURIComponent(opts.thredId)}/diagram`
    : `/patterns/${encodeURIComponent(opts.patternId ?? '')}/diagram`;
  const canvas = h('div', { class: 'diagram-canvas', 'data-diagram': opts.thredId ? 'thred' : 'pattern' });
  const status = h('p', { class: 'sub status', role: 'status' }, 'Loading diagram…');
  const source = h('pre', { class: 'code diagram-source' });
  const element = h(
    'details',
    { class: 'diagram card', open: true },
    h('summary', {}, opts.thredId ? 'Path through the pattern' : 'Diagram'),
    opts.thredId
      ? h(
          'p',
          { class: 'sub legend' },
          h('span', { class: 'swatch current' }),
          ' current reaction ',
          h('span', { class: 'swatch visited' }),
          ' visited',
        )
      : null,
    canvas,
    status,
    h('details', { class: 'diagram-text' }, h('summary', {}, 'Mermaid source'), source),
  );

  let last = '';
  let busy: Promise<void> = Promise.resolve();
  const draw = async (): Promise<void> => {
    try {
      const text = await fetchDiagram(api, path);
      source.textContent = text;
      if (text === last && canvas.querySelector('svg')) return;
      const mermaid = await loadMermaid();
      const { svg } = await mermaid.render(`threds-diagram-${++renderCount}`, text);
      last = text;
      // Mermaid's own output in strict mode (no HTML labels, no scripts), so it is set as markup.
      canvas.innerHTML = svg;
      canvas.setAttribute('data-rendered', String(renderCount));
      status.textContent = '';
    } catch (err) {
      status.textContent = `Could not draw the diagram: ${err instanceof Error ? err.message : String(err)}`;
      status.setAttribute('role', 'alert');
    }
  };
  const run = () => {
    busy = busy.then(draw, draw);
  };
  let timers: ReturnType<typeof setTimeout>[] = [];
  const refresh = () => {
    timers.forEach(clearTimeout);
    timers = [setTimeout(run, 250), setTimeout(run, 1500)];
  };
  run();
  return { element, refresh, ...(opts.thredId !== undefined && { thredId: opts.thredId }) };
}
