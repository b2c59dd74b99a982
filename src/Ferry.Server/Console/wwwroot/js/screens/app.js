// One app stage: what is deployed (functions, routes, revisions), how it behaves (activity, errors, usage) and its
// live logs; upgrade and roll back when it came from the catalog. Another tenant's app is "Not found", like the API says.

import { path } from '../api.js';
import { h, badge, table, section, errorBox, formatTime, loading } from '../dom.js';
import { installActions } from '../widgets/install-actions.js';
import { activityPanel, errorsPanel, usagePanel } from '../widgets/insights.js';
import { logTail } from '../widgets/logtail.js';

export async function render(root, { api, params, signal }) {
  const { service, stage, region } = params;
  const scope = { api, service, stage, region, signal };
  document.title = `${service}/${stage} · Ferry`;

  const title = h('h1', {}, service, ' ', h('span', { class: 'stage' }, `${stage}@${region}`));
  const overview = h('div', {}, loading());
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/apps' }, 'Apps'), ' / ', `${service}/${stage}`), title, overview);

  let app;
  try {
    app = await api.get(path`/apps/${service}/${stage}`, { query: { region }, signal });
  } catch (error) {
    if (!error.isNotFound && !error.isForbidden) throw error;
    overview.replaceChildren(errorBox(error));
    return;
  }

  const messages = h('div', { class: 'messages' });
  const draw = async (current) => {
    const installs = await api.get('/installs', { signal }).catch(() => []);
    const install = installs.find((i) => i.service === service && i.stage === stage && i.region === region);
    overview.replaceChildren(
      header(current, install),
      // Apps deployed with the CLI have no install: no actions, and nothing in their place.
      ...(install ? [installActions({ api, install, messages, signal, onChanged: redraw })] : []),
      messages,
      h('div', { class: 'columns' },
        section('Functions', table(['Name', 'Kind', 'Runtime', 'Memory', 'Timeout', 'Instances'],
          current.functions.map((f) => [h('strong', {}, f.name), f.kind, f.runtime, `${f.memorySize} MB`, `${f.timeout} s`, f.instances]),
          { className: 'functions' })),
        section('Routes', table(['Method', 'URL', 'Function'],
          current.routes.map((r) => [badge(r.method, 'neutral'), routeLink(r), r.function]),
          { empty: 'No HTTP routes: the functions are invoked by events.', className: 'routes' }))),
      section('Revisions', table(['Revision', 'Deployed', 'Archive', ''],
        current.revisions.map((r) => [`#${r.number}`, formatTime(r.createdAt), h('code', {}, r.artifactSha256.slice(0, 12)), r.active && badge('active', 'ok')]),
        { className: 'revisions' })));
  };
  const redraw = async () => draw(await api.get(path`/apps/${service}/${stage}`, { query: { region }, signal }));
  await draw(app);

  const logs = logTail({ ...scope, functions: app.functions.map((f) => f.name) });
  root.append(
    activityPanel(scope),
    h('div', { class: 'columns' }, errorsPanel({ ...scope, onRequest: (requestId) => logs.search(requestId) }), usagePanel(scope)),
    logs.element);
}

function header(app, install) {
  return h('div', { class: 'app-head' },
    h('dl', { class: 'facts' },
      fact('Status', app.revision === null || app.revision === undefined ? badge('not served', 'bad') : badge('live', 'ok')),
      fact('Revision', app.revision ?? '—'),
      fact('Version', install
        ? [h('span', { id: 'installed-version' }, install.version), ' ', h('span', { class: 'muted' }, `of ${install.template} (hub ${install.hub})`)]
        : h('span', { class: 'muted' }, 'deployed directly')),
      install?.updateAvailable && fact('Update', badge(`update available: ${install.updateAvailable}`, 'update')),
      fact('URL', h('a', { href: `${app.baseUrl}/`, target: '_blank', rel: 'noopener', class: 'mono' }, app.baseUrl)),
      fact('Updated', formatTime(app.updatedAt))));
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

/** Routes without path parameters are links; "/users/{id}" cannot be opened as written. */
function routeLink(route) {
  const url = h('span', { class: 'mono' }, route.url);
  return route.url.includes('{') || !['GET', 'ANY'].includes(route.method)
    ? url
    : h('a', { href: route.url, target: '_blank', rel: 'noopener', class: 'mono route-link' }, route.url);
}
