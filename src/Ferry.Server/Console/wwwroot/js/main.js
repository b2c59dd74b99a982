// Boots the console: restores the session, draws the navigation for the token's roles, and shows one screen per
// route. Screens are modules with `render(root, context)`; a screen's `context.signal` aborts when the user leaves it
// (stopping its requests and the live log tail).

import { ApiClient } from './api.js';
import { Session, APP_ROLES } from './session.js';
import { Router, href, navigate, parseHash } from './router.js';
import { h, errorBox } from './dom.js';
import * as signIn from './screens/signin.js';
import * as apps from './screens/apps.js';
import * as appPage from './screens/app.js';
import * as catalog from './screens/catalog.js';
import * as templatePage from './screens/template.js';
import * as deploy from './screens/deploy.js';
import * as provider from './screens/provider.js';
import * as reviews from './screens/reviews.js';
import * as review from './screens/review.js';

const routes = [
  { pattern: '/signin', screen: signIn, public: true },
  { pattern: '/apps', screen: apps, roles: APP_ROLES, nav: 'apps' },
  { pattern: '/apps/:service/:stage/:region', screen: appPage, roles: APP_ROLES, nav: 'apps' },
  { pattern: '/catalog', screen: catalog, nav: 'catalog' },
  { pattern: '/templates/:name', screen: templatePage, nav: 'catalog' },
  { pattern: '/templates/:name/deploy', screen: deploy, roles: APP_ROLES, nav: 'catalog' },
  { pattern: '/provider', screen: provider, roles: ['provider'], nav: 'provider' },
  { pattern: '/reviews', screen: reviews, roles: ['reviewer'], nav: 'reviews' },
  { pattern: '/reviews/:name/:version', screen: review, roles: ['reviewer', 'provider'], nav: 'reviews' },
];

const NAV = [
  { key: 'apps', label: 'Apps', link: '#/apps', roles: APP_ROLES },
  { key: 'catalog', label: 'Catalog', link: '#/catalog' },
  { key: 'provider', label: 'My templates', link: '#/provider', roles: ['provider'] },
  { key: 'reviews', label: 'Reviews', link: '#/reviews', roles: ['reviewer'] },
];

const session = new Session(window.sessionStorage);
const api = new ApiClient(() => session.token, () => {
  session.end();
  navigate(href('/signin', [], { expired: '1', next: location.hash }));
});
const view = document.getElementById('view');
const nav = document.getElementById('nav');
const identity = document.getElementById('identity');
let leaving = new AbortController();

/** Where a signed-in user starts: their apps, or what their role is for. */
function homeLink() {
  if (session.canUseApps) return '#/apps';
  if (session.isReviewer) return '#/reviews';
  return '#/catalog';
}

function drawChrome(active) {
  nav.replaceChildren(...(session.signedIn ? NAV.filter((item) => !item.roles || session.hasAnyRole(item.roles)) : [])
    .map((item) => h('a', { href: item.link, class: item.key === active ? 'active' : null, 'aria-current': item.key === active ? 'page' : null }, item.label)));
  identity.replaceChildren(...(session.signedIn
    ? [
        h('span', { class: 'who', title: `token "${session.who.tokenName}"` },
          h('strong', { id: 'tenant' }, session.who.tenant), ' · ', h('span', { id: 'roles' }, session.who.roles.join(', '))),
        h('button', { type: 'button', class: 'link-button', id: 'sign-out', onClick: signOut }, 'Sign out'),
      ]
    : []));
}

function signOut() {
  session.end();
  navigate('#/signin');
}

async function show(route, params, query) {
  leaving.abort();
  leaving = new AbortController();
  const root = h('div', { class: 'screen' });
  view.replaceChildren(root);

  if (!route) {
    navigate(session.signedIn ? homeLink() : '#/signin');
    return;
  }
  if (!route.public && !session.signedIn) {
    navigate(href('/signin', [], { next: location.hash }));
    return;
  }

  drawChrome(route.nav);
  if (route.roles && !session.hasAnyRole(route.roles)) {
    root.append(h('h1', {}, 'Not allowed'), h('div', { class: 'error-box', role: 'alert' },
      h('strong', {}, 'Not allowed'),
      h('p', {}, `This screen needs the role ${route.roles.join(' or ')}; your token has ${session.who.roles.join(', ')}.`)));
    return;
  }

  const context = {
    api, session, params, query, signal: leaving.signal,
    onSignedIn: () => { drawChrome(null); navigate(query.next && parseHash(query.next).path !== '/signin' ? query.next : homeLink()); },
  };
  try {
    await route.screen.render(root, context);
  } catch (error) {
    if (error?.name === 'AbortError' || context.signal.aborted) return;
    root.append(errorBox(error));
  }
}

async function start() {
  if (session.token) {
    try {
      session.who = await api.get('/whoami');
    } catch (error) {
      // A refused token was already dropped (onUnauthenticated); any other failure keeps it for a reload.
      if (!error.isUnauthenticated) document.body.prepend(errorBox(error));
    }
  }
  new Router(routes, show).dispatch();
}

start();
