/**
 * The Threds console: log in, see your threds and messages live, answer prompts, broadcast inside a thred; admins
 * also get patterns, all threds and dead letters (admin/). Hash routes: #/ (all messages), #/thred/<id>,
 * #/pattern/<id>, #/admin/…. This module holds the session's live connection and picks the view for the hash.
 */
import { Api } from './api';
import { clear, h, toast } from './dom';
import { renderHeader, statusBadge } from './header';
import { Inbox } from './inbox';
import { Live, MessageStore } from './live';
import { showLogin } from './login';
import { showPatternPage } from './pattern-page';
import { renderAdmin } from './admin/index';

const api = new Api();
const main = document.getElementById('main') as HTMLElement;

let live: Live | null = null;
const currentLive = () => live;
const inbox = new Inbox(main, api, currentLive);

/** One connection per logged-in participant: a different login replaces it, a re-route keeps it. */
function ensureLive(): void {
  const s = api.session;
  if (!s || (live && live.store.participantId === s.participantId)) return;
  live?.stop();
  live = new Live(api, new MessageStore(s.participantId), {
    message: (m) => inbox.onMessage(m),
    status: statusBadge,
    problem: (text) => toast(text, 'error'),
  });
  live.start();
}

function route(): void {
  if (!api.session) {
    live?.stop();
    live = null;
    inbox.close();
    renderHeader(api, currentLive);
    showLogin(main, api, route);
    return;
  }
  ensureLive();
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  if (hash.startsWith('/admin')) {
    inbox.close();
    renderHeader(api, currentLive);
    if (!api.session.roles.includes('admin')) {
      clear(main, h('p', { class: 'error-box', role: 'alert' }, 'The admin view needs the admin role.'));
      return;
    }
    renderAdmin(main, api, hash.split('/')[2] ?? 'patterns');
    return;
  }
  const pm = /^\/pattern\/(.+)$/.exec(hash);
  if (pm) {
    inbox.close();
    renderHeader(api, currentLive);
    showPatternPage(main, api, pm[1] as string);
    return;
  }
  const m = /^\/thred\/(.+)$/.exec(hash);
  renderHeader(api, currentLive);
  inbox.show(m?.[1] ?? null);
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
