// The reviewer's queue: versions waiting for a decision (GET /reviews), oldest first.

import { h, table, formatTime } from '../dom.js';
import { href } from '../router.js';

export async function render(root, { api, signal }) {
  document.title = 'Reviews · Ferry';
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Reviews')));
  const pending = await api.get('/reviews', { signal });
  root.append(h('section', { class: 'panel' },
    h('h2', {}, `Pending versions `, h('span', { class: 'count' }, pending.length)),
    table(['Template', 'Version', 'Submitted', 'Parameters', 'Changelog', ''],
      pending.map((v) => [
        h('strong', {}, v.template),
        v.version,
        formatTime(v.submittedAt),
        v.parameters.map((p) => p.name).join(', ') || '—',
        v.changelog ?? h('span', { class: 'muted' }, '—'),
        h('a', { class: 'button', href: href('/reviews', [v.template, v.version]) }, 'Review'),
      ]), { empty: 'Nothing to review.', className: 'queue' })));
}
