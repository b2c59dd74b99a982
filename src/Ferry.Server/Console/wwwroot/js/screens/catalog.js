// The template catalog of this server's hub: search by name, description or label (GET /templates?search=).
// Consumers see approved templates; providers also their own pending ones; reviewers everything.

import { h, badge, loading, errorBox } from '../dom.js';
import { href } from '../router.js';

export async function render(root, { api, query, signal }) {
  document.title = 'Catalog · Ferry';
  const search = h('input', { type: 'search', id: 'catalog-search', value: query.search ?? '', placeholder: 'Search templates by name, description or label', 'aria-label': 'Search templates' });
  const results = h('div', { class: 'cards', id: 'catalog-results' });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Catalog')),
    h('form', { class: 'search', role: 'search', onSubmit: (event) => event.preventDefault() }, search), results);

  let pending = new AbortController();
  const load = async () => {
    pending.abort();
    pending = new AbortController();
    const text = search.value.trim();
    results.replaceChildren(loading());
    try {
      // A newer search, or leaving the screen, cancels this one.
      const templates = await api.get('/templates', { query: { search: text }, signal: AbortSignal.any([signal, pending.signal]) });
      history.replaceState(null, '', href('/catalog', [], { search: text }));
      results.replaceChildren(...(templates.length === 0
        ? [h('p', { class: 'muted' }, text ? `No template matches "${text}".` : 'The catalog is empty: no template has been approved yet.')]
        : templates.map(card)));
    } catch (error) {
      if (error.name !== 'AbortError') results.replaceChildren(errorBox(error));
    }
  };

  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  await load();
  search.focus();
}

function card(template) {
  return h('a', { class: 'card template-card', href: href('/templates', [template.name]), dataset: { template: template.name } },
    h('h2', {}, template.name),
    h('p', {}, template.description),
    h('p', { class: 'card-meta' },
      template.latestVersion ? badge(`v${template.latestVersion}`, 'ok') : badge('no approved version', 'warn'),
      ' ', h('span', { class: 'muted' }, `by ${template.provider}`)),
    template.labels.length > 0 && h('p', { class: 'labels' }, template.labels.map((label) => h('span', { class: 'label' }, label))));
}
