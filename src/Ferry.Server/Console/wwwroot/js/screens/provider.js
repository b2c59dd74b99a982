// The provider's templates: every version they published, its review state and the reviewer's comment. There is no
// "my templates" endpoint: the catalog lists what the token may see, and the provider's are those of its tenant.

import { path } from '../api.js';
import { h, section, table, statusBadge, errorBox, loading, formatTime } from '../dom.js';
import { href } from '../router.js';

export async function render(root, { api, session, signal }) {
  document.title = 'My templates · Ferry';
  const body = h('div', {}, loading());
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'My templates')),
    h('p', { class: 'muted' }, 'Publish new versions with ', h('code', {}, 'ferry template publish'),
      '; a reviewer approves them before consumers can see them.'),
    body);

  const mine = (await api.get('/templates', { signal })).filter((t) => t.provider === session.tenant);
  if (mine.length === 0) {
    body.replaceChildren(h('p', { class: 'muted' }, `Tenant ${session.tenant} has published no template yet.`));
    return;
  }

  const details = await Promise.all(mine.map((t) => api.get(path`/templates/${t.name}`, { signal }).catch((error) => ({ name: t.name, error }))));
  body.replaceChildren(...details.map((template) => template.error
    ? section(template.name, errorBox(template.error))
    : h('section', { class: 'panel', dataset: { template: template.name } },
      h('h2', {}, h('a', { href: href('/templates', [template.name]) }, template.name), ' ', h('span', { class: 'muted' }, template.description)),
      table(['Version', 'State', 'Submitted', 'Reviewed', 'Reviewer comment', 'Changelog'],
        [...template.versions].reverse().map((v) => [
          h('a', { href: href('/reviews', [template.name, v.version]), title: 'What the reviewer sees' }, v.version),
          statusBadge(v.status),
          formatTime(v.submittedAt),
          formatTime(v.reviewedAt),
          v.reviewComment ? h('span', { class: 'review-comment' }, v.reviewComment) : h('span', { class: 'muted' }, '—'),
          v.changelog ?? h('span', { class: 'muted' }, '—'),
        ]), { className: 'versions' }))));
}
