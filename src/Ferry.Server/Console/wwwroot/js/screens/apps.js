// The consumer's apps: every app stage of the tenant (GET /apps) with its template version and "update available"
// (GET /installs) when it was installed from the catalog.

import { h, badge, table, formatTime, loading, errorBox } from '../dom.js';
import { href } from '../router.js';

export async function render(root, { api, signal }) {
  document.title = 'Apps · Ferry';
  const body = h('div', {}, loading());
  root.append(h('div', { class: 'page-head' },
    h('h1', {}, 'Apps'),
    h('a', { class: 'button', href: '#/catalog' }, 'Deploy from the catalog')), body);

  const [apps, installs] = await Promise.all([
    api.get('/apps', { signal }),
    api.get('/installs', { signal }).catch((error) => error),
  ]);
  const installed = new Map((Array.isArray(installs) ? installs : []).map((i) => [key(i), i]));

  body.replaceChildren(
    installs instanceof Error && errorBox(installs),
    table(['App', 'Status', 'Stage', 'Region', 'Revision', 'Version', 'Functions', 'Updated'],
      apps.map((app) => {
        const install = installed.get(key(app));
        return [
          h('a', { href: href('/apps', [app.service, app.stage, app.region]), class: 'app-link' }, app.service),
          app.revision === null || app.revision === undefined ? badge('not served', 'bad') : badge('live', 'ok'),
          app.stage,
          app.region,
          app.revision ?? '—',
          install
            ? [h('span', {}, `${install.template}@${install.version}`), ' ',
                install.updateAvailable && badge(`update available: ${install.updateAvailable}`, 'update')]
            : h('span', { class: 'muted' }, 'deployed directly'),
          app.functionCount,
          formatTime(app.updatedAt),
        ];
      }),
      { empty: 'No apps yet. Deploy one from the catalog, or with `ferry deploy`.', className: 'apps' }));
}

function key(app) {
  return `${app.service}/${app.stage}@${app.region}`;
}
