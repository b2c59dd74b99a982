// The console's only way to the server: the public REST API (/api/v1), the same one the CLI uses, called with the
// signed-in user's token. Every failure becomes an ApiError carrying the server's code, message and details.

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status; 0 when the server could not be reached.
   * @param {string} code the API's stable error code, e.g. "not_found", "parameters_invalid".
   * @param {string} message what went wrong, as the server words it.
   * @param {{message: string, file?: string, line?: number, column?: number}[]} details per-item problems.
   */
  constructor(status, code, message, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details ?? [];
  }

  get isNotFound() { return this.status === 404; }
  get isForbidden() { return this.status === 403; }
  get isUnauthenticated() { return this.status === 401; }
}

/** Builds an API path from literal parts and values; every value is URL-encoded: path`/apps/${name}`. */
export function path(strings, ...values) {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}

export class ApiClient {
  #token;
  #onUnauthenticated;

  /**
   * @param {() => string | null} token reads the current token (it changes when the user signs in or out).
   * @param {(error: ApiError) => void} onUnauthenticated called when the server refuses the token (401).
   */
  constructor(token, onUnauthenticated) {
    this.#token = token;
    this.#onUnauthenticated = onUnauthenticated;
  }

  get(apiPath, options = {}) { return this.request('GET', apiPath, options); }

  post(apiPath, body, options = {}) { return this.request('POST', apiPath, { ...options, body }); }

  /** Sends a request and returns the parsed JSON answer (null for 204); throws ApiError for any 4xx/5xx. */
  async request(method, apiPath, { query, body, signal, token } = {}) {
    const response = await this.#send(method, apiPath, { query, body, signal, token });
    return response.status === 204 ? null : response.json();
  }

  /**
   * Follows an ndjson stream (one JSON value per line; empty lines are keep-alives) until it ends or `signal`
   * aborts. fetch + ReadableStream rather than EventSource, which can send no Authorization header.
   */
  async *lines(apiPath, { query, signal } = {}) {
    const response = await this.#send('GET', apiPath, { query, signal, accept: 'application/x-ndjson' });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield JSON.parse(line);
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  async #send(method, apiPath, { query, body, signal, token, accept = 'application/json' }) {
    const headers = { Accept: accept };
    const bearer = token ?? this.#token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let response;
    try {
      response = await fetch(url(apiPath, query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: 'no-store',
      });
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      throw new ApiError(0, 'unreachable', `The Ferry server cannot be reached (${error.message})`);
    }

    if (response.ok) return response;
    const error = await errorOf(response);
    // A token given explicitly is being tried (sign-in): refusing it is not a reason to sign the session out.
    if (error.isUnauthenticated && token === undefined) this.#onUnauthenticated(error);
    throw error;
  }
}

function url(apiPath, query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return `/api/v1${apiPath}${text ? `?${text}` : ''}`;
}

async function errorOf(response) {
  const fallback = `${response.status} ${response.statusText || 'error'} from ${new URL(response.url).pathname}`;
  try {
    const { error } = await response.json();
    if (error?.message) return new ApiError(response.status, error.code ?? 'error', error.message, error.details);
  } catch {
    // Not an ApiError body (a proxy in between, or an empty answer): say what we know.
  }
  return new ApiError(response.status, 'error', fallback);
}
