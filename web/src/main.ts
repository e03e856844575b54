/**
 * The Threds console: log in, see your threds and messages live, answer prompts, broadcast inside a thred; admins
 * also get patterns, all threds and dead letters (admin.ts). Hash routes: #/ (all messages), #/thred/<id>, #/admin/….
 */
import { Api, describeError } from './api';
import { clear, fmtTime, h, toast } from './dom';
import { Live, MessageStore, newEventId, type LiveStatus } from './live';
import { renderMessage } from './render';
import { renderAdmin } from './admin/index';
import { whatIfPanel } from './what-if';
import { diagramPanel, type DiagramPanel } from './diagram';
import type { Message, Template, ThredView } from './types';

const api = new Api();
const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;

let live: Live | null = null;
let threds: ThredView[] = [];
let thredsError = '';
let inbox: { feed: HTMLElement; list: HTMLElement; thredId: string | null } | null = null;
/** The diagram on the open thred page, redrawn as the thred's messages arrive. */
let diagram: DiagramPanel | null = null;

// ---------- answered prompts (kept across reloads, per participant) ----------
function answeredKey(): string {
  return `threds.answered.${api.session?.participantId ?? ''}`;
}
function answeredMap(): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(answeredKey()) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}
function markAnswered(messageId: string, display: string): void {
  const m = answeredMap();
  m[messageId] = display;
  localStorage.setItem(answeredKey(), JSON.stringify(m));
}

// ---------- header ----------
function statusBadge(s: LiveStatus, detail?: string): void {
  const el = document.getElementById('live-status');
  if (!el) return;
  el.className = `badge ${s}`;
  el.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting…' : 'offline';
  el.title = detail ?? '';
  const retry = document.getElementById('live-retry');
  if (retry) retry.hidden = s !== 'offline';
}

function renderHeader(): void {
  const s = api.session;
  if (!s) {
    nav.hidden = true;
    clear(who);
    return;
  }
  const isAdmin = s.roles.includes('admin');
  const here = location.hash.startsWith('#/admin') ? 'admin' : 'messages';
  nav.hidden = false;
  clear(
    nav,
    h('a', { href: '#/', 'aria-current': here === 'messages' ? 'page' : undefined }, 'Messages'),
    isAdmin ? h('a', { href: '#/admin', 'aria-current': here === 'admin' ? 'page' : undefined }, 'Admin') : null,
  );
  clear(
    who,
    h('span', { id: 'live-status', class: 'badge offline', role: 'status' }, 'offline'),
    h(
      'button',
      { type: 'button', id: 'live-retry', class: 'link', hidden: true, onclick: () => live?.reconnect() },
      'reconnect',
    ),
    h('span', { class: 'me' }, s.participantId, s.roles.length ? h('small', {}, ` (${s.roles.join(', ')})`) : null),
    h('button', { type: 'button', onclick: () => api.logout() }, 'Log out'),
  );
  if (live) statusBadge(live.status);
}

// ---------- login ----------
function showLogin(): void {
  renderHeader();
  const err = h('p', { class: 'error-box', role: 'alert', hidden: true });
  const user = h('input', {
    id: 'login-user',
    name: 'participantId',
    autocomplete: 'username',
    required: true,
    autofocus: true,
  });
  const pass = h('input', {
    id: 'login-pass',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title' }, 'Log in'),
    h('div', { class: 'field' }, h('label', { for: 'login-user' }, 'Participant id'), user),
    h('div', { class: 'field' }, h('label', { for: 'login-pass' }, 'Password'), pass),
    err,
    button,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    err.hidden = true;
    api.login(user.value.trim(), pass.value).then(
      () => {
        if (!location.hash || location.hash === '#/login') location.hash = '#/';
        route();
      },
      (e: unknown) => {
        button.disabled = false;
        err.hidden = false;
        err.textContent = `Login failed: ${describeError(e)}`;
        pass.select();
      },
    );
  });
  clear(main, form);
  user.focus();
}

// ---------- live ----------
function ensureLive(): void {
  const s = api.session;
  if (!s || (live && live.store.participantId === s.participantId)) return;
  live?.stop();
  live = new Live(api, new MessageStore(s.participantId), {
    message: onMessage,
    status: statusBadge,
    problem: (text) => toast(text, 'error'),
  });
  live.start();
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleThredsRefresh(delay = 400): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void loadThreds(), delay);
}

function onMessage(m: Message): void {
  scheduleThredsRefresh();
  if (diagram?.element.isConnected && diagram.thredId === m.event.thredId) diagram.refresh();
  if (!inbox || !inbox.feed.isConnected) {
    toast(`New message: ${m.event.data?.title ?? m.event.type}`);
    return;
  }
  if (inbox.thredId && m.event.thredId !== inbox.thredId) {
    toast(`New message in thred ${m.event.thredId ?? ''}: ${m.event.data?.title ?? m.event.type}`);
    return;
  }
  inbox.feed.querySelector('.empty')?.remove();
  inbox.feed.prepend(card(m));
}

function card(m: Message): HTMLElement {
  const s = api.session;
  return renderMessage(m, {
    me: s?.participantId ?? '',
    answered: answeredMap()[m.id],
    openThred: (id) => (location.hash = `#/thred/${encodeURIComponent(id)}`),
    answer: async (values, display) => {
      const e = m.event;
      const ack = await live!.send({
        id: newEventId(),
        type: e.data?.advice?.eventType ?? 'org.wt.client.tell',
        thredId: e.thredId,
        re: e.id,
        source: { id: s?.participantId ?? '' },
        time: Date.now(),
        data: { content: { type: (e.data?.advice?.template as Template | undefined)?.name, values } },
      });
      markAnswered(m.id, display);
      if (ack.refused.length) toast(`Answer accepted with refusals: ${JSON.stringify(ack.refused)}`, 'error');
      scheduleThredsRefresh(100);
    },
  });
}

// ---------- threds list ----------
async function loadThreds(): Promise<void> {
  const s = api.session;
  if (!s) return;
  try {
    const body = await api.call<{ threds: ThredView[] }>(
      'GET',
      `/threds?participant=${encodeURIComponent(s.participantId)}&limit=100`,
    );
    threds = body.threds.sort((a, b) => (b.updateTime ?? b.startTime ?? 0) - (a.updateTime ?? a.startTime ?? 0));
    thredsError = '';
  } catch (err) {
    thredsError = describeError(err);
  }
  if (inbox?.list.isConnected) renderThredList();
}

function renderThredList(): void {
  if (!inbox) return;
  const current = inbox.thredId;
  clear(
    inbox.list,
    h(
      'li',
      {},
      h(
        'a',
        { href: '#/', class: 'thred-link', 'aria-current': current ? undefined : 'page' },
        h('strong', {}, 'All messages'),
      ),
    ),
    threds.map((t) =>
      h(
        'li',
        {},
        h(
          'a',
          {
            href: `#/thred/${encodeURIComponent(t.thredId)}`,
            class: 'thred-link',
            'aria-current': t.thredId === current ? 'page' : undefined,
            'data-thred-id': t.thredId,
          },
          h('strong', {}, t.patternName ?? t.patternId ?? 'thred'),
          h('span', { class: `pill ${t.status ?? ''}` }, t.status ?? '?'),
          h(
            'span',
            { class: 'sub' },
            t.reaction ? `at ${t.reaction}` : 'ended',
            ' · ',
            fmtTime(t.updateTime ?? t.startTime),
          ),
          h('span', { class: 'sub mono' }, t.thredId),
        ),
      ),
    ),
    thredsError ? h('li', { class: 'error-box', role: 'alert' }, `Could not load threds: ${thredsError}`) : null,
    !thredsError && threds.length === 0 ? h('li', { class: 'sub' }, 'No threds yet.') : null,
  );
}

// ---------- inbox view ----------
function showInbox(thredId: string | null): void {
  renderHeader();
  const list = h('ul', { class: 'threds plain', 'aria-label': 'Your threds' });
  const feed = h('div', { class: 'feed', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  inbox = { feed, list, thredId };
  renderThredList();
  const msgs = (live?.store.all() ?? []).filter((m) => !thredId || m.event.thredId === thredId).reverse();
  if (msgs.length === 0)
    feed.append(
      h(
        'p',
        { class: 'empty sub' },
        thredId ? 'No messages in this thred yet.' : 'No messages yet. New ones appear here as they arrive.',
      ),
    );
  else feed.append(...msgs.map(card));

  const thred = thredId ? threds.find((t) => t.thredId === thredId) : undefined;
  diagram = thredId ? diagramPanel(api, { thredId }) : null;
  clear(
    main,
    h(
      'div',
      { class: 'layout' },
      h(
        'aside',
        { class: 'side', 'aria-labelledby': 'threds-title' },
        h(
          'div',
          { class: 'row' },
          h('h2', { id: 'threds-title' }, 'Threds'),
          h('button', { type: 'button', class: 'link', onclick: () => void loadThreds() }, 'Refresh'),
        ),
        list,
      ),
      h(
        'section',
        { class: 'content', 'aria-labelledby': 'feed-title' },
        h('h2', { id: 'feed-title' }, thredId ? `Thred ${thredId}` : 'Messages'),
        thred
          ? h(
              'p',
              { class: 'sub' },
              `${thred.patternName ?? thred.patternId ?? ''} · ${thred.status ?? ''}${thred.reaction ? ` · at ${thred.reaction}` : ''}`,
            )
          : null,
        thredId && thred?.status !== 'terminated' ? broadcastForm(thredId) : null,
        thred?.patternId && api.session?.roles.includes('admin')
          ? h(
              'p',
              { class: 'sub' },
              h('a', { href: `#/pattern/${encodeURIComponent(thred.patternId)}` }, `Pattern ${thred.patternId}`),
            )
          : null,
        diagram?.element ?? null,
        thredId && api.session?.roles.includes('admin') ? whatIfPanel(api, thredId) : null,
        feed,
      ),
    ),
  );
  void loadThreds();
}

function broadcastForm(thredId: string): HTMLElement {
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
    if (!text || !live) return;
    button.disabled = true;
    status.className = 'status pending';
    status.textContent = 'Sending…';
    live
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

// ---------- pattern page (#/pattern/<id>, admins): its diagram ----------
function showPatternPage(patternId: string): void {
  const panel = diagramPanel(api, { patternId });
  clear(
    main,
    h(
      'section',
      { class: 'content pattern-page', 'aria-labelledby': 'pattern-title' },
      h('h2', { id: 'pattern-title' }, `Pattern ${patternId}`),
      h('p', { class: 'sub' }, h('a', { href: '#/admin/patterns' }, 'Edit in Admin → Patterns')),
      panel.element,
    ),
  );
}

// ---------- routing ----------
function route(): void {
  if (!api.session) {
    live?.stop();
    live = null;
    inbox = null;
    showLogin();
    return;
  }
  ensureLive();
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  if (hash.startsWith('/admin')) {
    inbox = null;
    renderHeader();
    if (!api.session.roles.includes('admin')) {
      clear(main, h('p', { class: 'error-box', role: 'alert' }, 'The admin view needs the admin role.'));
      return;
    }
    renderAdmin(main, api, hash.split('/')[2] ?? 'patterns');
    return;
  }
  const pm = /^\/pattern\/(.+)$/.exec(hash);
  if (pm) {
    inbox = null;
    renderHeader();
    showPatternPage(pm[1] as string);
    return;
  }
  const m = /^\/thred\/(.+)$/.exec(hash);
  showInbox(m?.[1] ?? null);
}

api.onLogout = () => {
  location.hash = '#/';
  route();
};
window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true }); // screen readers and keyboard users start at the new view
});
route();
