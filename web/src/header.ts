/** The page header: the view links (Admin for admins only), the live connection's badge, who is logged in. */
import type { Api } from './api';
import { clear, h } from './dom';
import type { Live, LiveStatus } from './live';

const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;

export function statusBadge(s: LiveStatus, detail?: string): void {
  const el = document.getElementById('live-status');
  if (!el) return;
  el.className = `badge ${s}`;
  el.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting…' : 'offline';
  el.title = detail ?? '';
  const retry = document.getElementById('live-retry');
  if (retry) retry.hidden = s !== 'offline';
}

/** `live` is read when needed: the connection is replaced when another participant logs in. */
export function renderHeader(api: Api, live: () => Live | null): void {
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
      { type: 'button', id: 'live-retry', class: 'link', hidden: true, onclick: () => live()?.reconnect() },
      'reconnect',
    ),
    h('span', { class: 'me' }, s.participantId, s.roles.length ? h('small', {}, ` (${s.roles.join(', ')})`) : null),
    h('button', { type: 'button', onclick: () => api.logout() }, 'Log out'),
  );
  const current = live();
  if (current) statusBadge(current.status);
}
