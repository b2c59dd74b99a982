// One template: what it is (README rendered from Markdown), its versions with their review state, and the way to
// deploy it.

import { path } from '../api.js';
import { h, section, table, statusBadge, errorBox, formatTime } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { href } from '../router.js';

export async function render(root, { api, session, params, signal }) {
  document.title = `${params.name} · Ferry`;
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/catalog' }, 'Catalog'), ' / ', params.name));

  let template;
  try {
    template = await api.get(path`/templates/${params.name}`, { signal });
  } catch (error) {
    if (!error.isNotFound) throw error;
    root.append(h('h1', {}, params.name), errorBox(error));
    return;
  }

  const approved = template.versions.filter((v) => v.status === 'approved');
  const mayReview = session.isReviewer || (session.isProvider && template.provider === session.tenant);
  root.append(
    h('div', { class: 'page-head' },
      h('h1', {}, template.name),
      session.canUseApps && approved.length > 0
        && h('a', { class: 'button primary', id: 'deploy', href: href('/templates', [template.name, 'deploy']) }, 'Deploy')),
    h('p', { class: 'lead' }, template.description),
    h('p', { class: 'muted' }, [
      `Provider ${template.provider}`,
      template.author && ` · Author ${template.author}`,
      template.license && ` · License ${template.license}`,
    ]),
    template.labels.length > 0 && h('p', { class: 'labels' }, template.labels.map((label) => h('span', { class: 'label' }, label))),
    h('div', { class: 'columns wide-left' },
      h('section', { class: 'panel readme', id: 'readme' }, h('h2', {}, 'README'),
        template.readme ? renderMarkdown(template.readme) : h('p', { class: 'muted' }, 'This template has no README.')),
      section('Versions', table(['Version', 'State', 'Submitted', 'Changelog'],
        [...template.versions].reverse().map((v) => [
          mayReview ? h('a', { href: href('/reviews', [template.name, v.version]) }, v.version) : v.version,
          statusBadge(v.status),
          formatTime(v.submittedAt),
          v.changelog ?? h('span', { class: 'muted' }, '—'),
        ]), { className: 'versions' }))));
}
