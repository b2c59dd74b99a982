// Who is signed in: the API token (kept in sessionStorage, so it is gone when the tab closes) and what the server
// says about it (GET /api/v1/whoami: tenant, roles, token name).

const TOKEN_KEY = 'ferry.console.token';

/** Roles that may deploy, list and operate apps (the API's apps endpoints). */
export const APP_ROLES = ['consumer', 'provider'];

export class Session {
  #storage;
  /** @type {{tenant: string, roles: string[], tokenName: string} | null} */
  who = null;

  constructor(storage) {
    this.#storage = storage;
  }

  get token() { return this.#storage.getItem(TOKEN_KEY); }

  get signedIn() { return this.who !== null && this.token !== null; }

  get tenant() { return this.who?.tenant ?? ''; }

  start(token, who) {
    this.#storage.setItem(TOKEN_KEY, token);
    this.who = who;
  }

  end() {
    this.#storage.removeItem(TOKEN_KEY);
    this.who = null;
  }

  /** True when the token has one of `roles`; admins have every role, as on the server. */
  hasAnyRole(roles) {
    const mine = this.who?.roles ?? [];
    return mine.includes('admin') || roles.some((role) => mine.includes(role));
  }

  get canUseApps() { return this.hasAnyRole(APP_ROLES); }
  get isProvider() { return this.hasAnyRole(['provider']); }
  get isReviewer() { return this.hasAnyRole(['reviewer']); }
}
