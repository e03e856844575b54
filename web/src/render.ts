/**
 * Messages rendered from `data.advice.template` (srvthreds §2.10): text, map, image, video, group, and the inputs
 * boolean / nominal / numeric / text. Answering calls `answer(values)`; the caller sends the reply event.
 */
import { fmtTime, h, uid } from './dom';
import { renderMap } from './map';
import type { Element as TemplateElement, Input, Message, Template } from './types';

export type Values = Record<string, unknown>;

export interface CardOptions {
  me: string;
  /** Display text of a previous answer to this message (kept across reloads), if any. */
  answered?: string;
  answer: (values: Values, display: string) => Promise<void>;
  openThred?: (thredId: string) => void;
}

function walk(elements: TemplateElement[] | undefined, visit: (e: TemplateElement) => void): void {
  for (const e of elements ?? []) {
    visit(e);
    if (e.group) walk(e.group.items, visit);
  }
}

function templateElements(t: Template): TemplateElement[] {
  return (t.interactions ?? []).flatMap((i) => i.interaction?.content ?? []);
}

export function templateInputs(t: Template): Input[] {
  const inputs: Input[] = [];
  walk(templateElements(t), (e) => {
    if (e.input?.name) inputs.push(e.input);
  });
  return inputs;
}

function renderContent(e: TemplateElement, inputSlot: (input: Input) => Node | null): Node | null {
  if (e.text) return h('p', { class: 'tpl-text' }, String(e.text.value ?? ''));
  if (e.map) return renderMap(e.map.locations ?? []);
  if (e.image)
    return h('img', {
      class: 'tpl-image',
      src: e.image.uri,
      width: e.image.width,
      height: e.image.height,
      alt: 'Image attached to the message',
      loading: 'lazy',
    });
  if (e.video)
    return h(
      'figure',
      { class: 'tpl-video' },
      h('video', {
        src: e.video.uri,
        controls: true,
        preload: 'metadata',
        'aria-label': 'Video attached to the message',
      }),
      h('figcaption', {}, h('a', { href: e.video.uri, target: '_blank', rel: 'noopener' }, 'Open the video')),
    );
  if (e.group)
    return h(
      'div',
      { class: 'tpl-group' },
      (e.group.items ?? []).map((i) => renderContent(i, inputSlot)),
    );
  if (e.input) return inputSlot(e.input);
  return null;
}

/** A field for a form (multi-input templates). Returns the element and a reader of its value. */
function field(input: Input): { el: HTMLElement; read: () => unknown } {
  const id = uid('in');
  const label = input.display ?? input.name;
  switch (input.type) {
    case 'numeric': {
      const el = h('input', { id, type: 'number', step: 'any', name: input.name, required: true });
      return { el: h('div', { class: 'field' }, h('label', { for: id }, label), el), read: () => Number(el.value) };
    }
    case 'text': {
      const el = h('input', { id, type: 'text', name: input.name, required: true, autocomplete: 'off' });
      return { el: h('div', { class: 'field' }, h('label', { for: id }, label), el), read: () => el.value };
    }
    case 'boolean':
    case 'nominal': {
      const set: { display: string; value: unknown }[] =
        input.set ??
        (input.type === 'boolean'
          ? [
              { display: 'Yes', value: true },
              { display: 'No', value: false },
            ]
          : []);
      const multiple = input.type === 'nominal' && input.multiple;
      const boxes = set.map((opt, i) => {
        const oid = `${id}-${i}`;
        const box = h('input', {
          id: oid,
          type: multiple ? 'checkbox' : 'radio',
          name: `${id}-${input.name}`,
          value: String(i),
          required: !multiple && i === 0,
        });
        return { box, opt, el: h('span', { class: 'choice' }, box, h('label', { for: oid }, opt.display)) };
      });
      const el = h(
        'fieldset',
        { class: 'field' },
        h('legend', {}, label),
        boxes.map((b) => b.el),
      );
      const read = () => {
        const chosen = boxes.filter((b) => b.box.checked).map((b) => b.opt.value);
        return multiple ? chosen : chosen[0];
      };
      return { el, read };
    }
  }
}

function displayOf(input: Input, value: unknown): string {
  if ((input.type === 'boolean' || input.type === 'nominal') && input.set) {
    const vals = Array.isArray(value) ? value : [value];
    return vals
      .map((v) => (input.set as { display: string; value: unknown }[]).find((o) => o.value === v)?.display ?? String(v))
      .join(', ');
  }
  return String(value);
}

/**
 * The interactive part. One boolean or single-choice nominal input → one button per option (answering is one
 * click); anything else → a form with a Send button.
 */
function renderTemplate(t: Template, opts: CardOptions, status: HTMLElement): HTMLElement {
  const inputs = templateInputs(t);
  const root = h('div', { class: 'tpl' });
  const setBusy = (busy: boolean) =>
    root.querySelectorAll('button, input').forEach((b) => ((b as HTMLInputElement).disabled = busy));
  const submit = async (values: Values, display: string) => {
    setBusy(true);
    status.className = 'status pending';
    status.textContent = 'Sending…';
    try {
      await opts.answer(values, display);
      status.className = 'status ok';
      status.textContent = `Answered: ${display}`;
    } catch (err) {
      setBusy(false);
      status.className = 'status error';
      status.textContent = `Not sent: ${err instanceof Error ? ((err as { describe?: () => string }).describe?.() ?? err.message) : String(err)}`;
    }
  };

  const single = inputs.length === 1 ? inputs[0] : undefined;
  const oneClick = single && (single.type === 'boolean' || (single.type === 'nominal' && !single.multiple));
  if (oneClick && single) {
    const set: { display: string; value: unknown }[] =
      single.set ??
      (single.type === 'boolean'
        ? [
            { display: 'Yes', value: true },
            { display: 'No', value: false },
          ]
        : []);
    const legendId = uid('q');
    const choice = h(
      'div',
      { class: 'choices', role: 'group', 'aria-labelledby': legendId },
      h('p', { id: legendId, class: 'question' }, single.display ?? single.name),
      set.map((opt) =>
        h(
          'button',
          {
            type: 'button',
            class: opt.value === true ? 'primary' : '',
            onclick: () => void submit({ [single.name]: opt.value }, opt.display),
          },
          opt.display,
        ),
      ),
    );
    root.append(
      ...templateElements(t)
        .map((e) => renderContent(e, (i) => (i === single ? choice : null)))
        .filter((n): n is Node => !!n),
    );
  } else {
    const fields = new Map<Input, ReturnType<typeof field>>();
    const form = h('form', { class: 'tpl-form' });
    const content = templateElements(t)
      .map((e) =>
        renderContent(e, (i) => {
          const f = field(i);
          fields.set(i, f);
          return f.el;
        }),
      )
      .filter((n): n is Node => !!n);
    form.append(...content);
    if (inputs.length > 0) {
      form.append(h('button', { type: 'submit', class: 'primary' }, 'Send'));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const values: Values = {};
        const shown: string[] = [];
        for (const [input, f] of fields) {
          values[input.name] = f.read();
          shown.push(`${input.display ?? input.name}: ${displayOf(input, values[input.name])}`);
        }
        void submit(values, shown.join('; '));
      });
    }
    root.append(form);
  }
  if (opts.answered) {
    setBusy(true);
    status.className = 'status ok';
    status.textContent = `Answered: ${opts.answered}`;
  }
  return root;
}

function valuesList(values: unknown): HTMLElement | null {
  if (!values || typeof values !== 'object') return null;
  const entries = Array.isArray(values) ? values.map((v, i) => [String(i), v] as const) : Object.entries(values);
  if (entries.length === 0) return null;
  return h(
    'dl',
    { class: 'values' },
    entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'string' ? v : JSON.stringify(v))]),
  );
}

export function renderMessage(m: Message, opts: CardOptions): HTMLElement {
  const e = m.event;
  const d = e.data ?? {};
  const error = d.content?.error;
  const template = d.advice?.template;
  const titleId = uid('msg');
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const isBroadcast = e.type === 'org.wt.broadcast';
  const values = d.content?.values as Record<string, unknown> | undefined;

  const body: (Node | null)[] = [];
  if (d.description) body.push(h('p', { class: 'desc' }, d.description));
  if (error)
    body.push(
      h(
        'p',
        { class: 'error-box', role: 'alert' },
        `Error${error.code ? ` ${error.code}` : ''}: ${error.message ?? 'unknown error'}`,
      ),
    );
  if (isBroadcast && values && !Array.isArray(values))
    body.push(
      h(
        'blockquote',
        { class: 'broadcast' },
        h('strong', {}, `${String(values.messageSource ?? e.source.id)}: `),
        String(values.message ?? ''),
      ),
    );
  else if (template) {
    if (d.advice?.title) body.push(h('h4', { class: 'advice-title' }, d.advice.title));
    body.push(renderTemplate(template, opts, status));
  } else if (!error) body.push(valuesList(values));

  const title = d.title ?? d.advice?.title ?? (isBroadcast ? 'Broadcast' : e.type);
  const kind = error ? 'msg error' : template ? 'msg prompt' : 'msg';
  return h(
    'article',
    { class: kind, 'aria-labelledby': titleId, 'data-message-id': m.id, 'data-event-id': e.id },
    h(
      'header',
      {},
      d.display?.uri
        ? h('img', { class: 'icon', src: d.display.uri, alt: '', width: 24, height: 24, onerror: hideTarget })
        : null,
      h('h3', { id: titleId }, title),
      h('time', { datetime: e.time ? new Date(e.time).toISOString() : undefined }, fmtTime(e.time)),
    ),
    body,
    h(
      'footer',
      {},
      h('span', { class: 'from' }, `from ${e.source.name ?? e.source.id}`),
      e.thredId && opts.openThred
        ? h(
            'button',
            { type: 'button', class: 'link', onclick: () => opts.openThred?.(e.thredId as string) },
            `thred ${e.thredId}`,
          )
        : null,
    ),
    status,
  );
}

function hideTarget(ev: Event): void {
  (ev.target as HTMLElement).hidden = true;
}
