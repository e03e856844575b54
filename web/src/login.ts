/** The login form: participant id and password against POST /login, the failure shown in the form. */
import { describeError, type Api } from './api';
import { clear, h } from './dom';

/** Shows the form in `main`; after a login lands on the messages unless the hash already names a view. */
export function showLogin(main: HTMLElement, api: Api, loggedIn: () => void): void {
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
        loggedIn();
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
