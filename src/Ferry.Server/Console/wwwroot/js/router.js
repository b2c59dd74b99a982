// A tiny hash router: "#/apps/greeter/prod/local?tab=logs" selects the route "/apps/:service/:stage/:region".
// Screens live in the fragment, so the server only ever serves /console/ and the static files.

/** Splits a location hash into the path and its query parameters. */
export function parseHash(hash) {
  const text = hash.replace(/^#/, '') || '/';
  const [pathPart, queryPart = ''] = text.split('?', 2);
  return { path: pathPart.startsWith('/') ? pathPart : `/${pathPart}`, query: Object.fromEntries(new URLSearchParams(queryPart)) };
}

/** A link to a screen: href('/apps', ['greeter', 'prod']) → "#/apps/greeter/prod" (segments encoded). */
export function href(base, segments = [], query = {}) {
  const path = [base, ...segments.map((s) => encodeURIComponent(s))].join('/');
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(link) {
  if (location.hash === link) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = link;
}

function compile(pattern) {
  const names = [];
  const source = pattern.split('/').map((segment) => {
    if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(segment.slice(1));
    return '([^/]+)';
  }).join('/');
  return { regex: new RegExp(`^${source}/?$`), names };
}

export class Router {
  #routes;
  #onRoute;

  /**
   * @param {{pattern: string}[]} routes tried in order.
   * @param {(route: object | null, params: Record<string, string>, query: Record<string, string>) => void} onRoute
   */
  constructor(routes, onRoute) {
    this.#routes = routes.map((route) => ({ ...route, ...compile(route.pattern) }));
    this.#onRoute = onRoute;
    window.addEventListener('hashchange', () => this.dispatch());
  }

  dispatch() {
    const { path, query } = parseHash(location.hash);
    for (const route of this.#routes) {
      const match = route.regex.exec(path);
      if (!match) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
      this.#onRoute(route, params, query);
      return;
    }
    this.#onRoute(null, {}, query);
  }
}
