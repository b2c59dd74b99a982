// Sign-in: the user pastes an API token; GET /whoami proves it and tells the tenant and roles.

import { h, errorBox, notice } from '../dom.js';

export async function render(root, { api, session, query, onSignedIn }) {
  document.title = 'Sign in · Ferry';
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'fry_…', required: true });
  const message = h('div', { class: 'message' });
  const form = h('form', { class: 'panel signin', novalidate: true },
    h('h1', {}, 'Sign in to Ferry'),
    h('p', {}, 'Paste an API token. An admin creates one with ', h('code', {}, 'ferry token create'),
      '. The console keeps it in this browser tab only and sends it to this server\'s API, nothing else.'),
    h('label', { for: 'token' }, 'API token'),
    token,
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));

  if (query.expired) message.append(notice('The server no longer accepts your token (unknown or revoked). Sign in again.', 'warn'));
  if (session.signedIn) message.append(notice(`Signed in as tenant ${session.tenant}. Signing in again replaces that token.`));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = token.value.trim();
    message.replaceChildren();
    if (!value) {
      message.append(notice('Enter a token.', 'bad'));
      return;
    }
    try {
      const who = await api.get('/whoami', { token: value });
      session.start(value, who);
      onSignedIn();
    } catch (error) {
      message.append(errorBox(error));
    }
  });

  root.append(form);
  token.focus();
}
