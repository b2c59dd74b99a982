// DOM building without HTML strings: every text from the API goes in as a text node, so nothing it contains can
// become markup. Plus the small formatters and message boxes the screens share.

import { ApiError } from './api.js';

/** h('a', { href, class: 'x', onClick }, 'text', child, [more]) → element. Null/false children are skipped. */
export function h(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

const SVG = 'http://www.w3.org/2000/svg';

/** Like h, for SVG elements (attributes only). */
export function s(tag, attributes = {}, ...children) {
  return build(document.createElementNS(SVG, tag), attributes, children);
}

function build(element, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') element[key] = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function table(headers, rows, { empty = 'Nothing yet.', className } = {}) {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h('table', { class: ['data', className] },
    h('thead', {}, h('tr', {}, headers.map((text) => h('th', {}, text)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}

export function badge(text, kind = 'neutral', title) {
  return h('span', { class: `badge badge-${kind}`, title }, text);
}

/** The colour of a template version's review state. */
export function statusBadge(status) {
  const kinds = { approved: 'ok', pending: 'warn', rejected: 'bad', deprecated: 'neutral' };
  return badge(status, kinds[status] ?? 'neutral');
}

export function section(title, ...content) {
  return h('section', { class: 'panel' }, h('h2', {}, title), content);
}

export function notice(text, kind = 'info') {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'bad' ? 'alert' : 'status' }, text);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading muted' }, text);
}

const TITLES = new Map([
  [0, 'Server unreachable'],
  [400, 'Bad request'],
  [401, 'Not signed in'],
  [403, 'Not allowed'],
  [404, 'Not found'],
  [409, 'Conflict'],
  [413, 'Too large'],
  [422, 'Check your input'],
]);

/**
 * An error as the user should read it: for ApiError the server's message and every detail (with file:line:col when
 * given); "Not found" and "Not allowed" are how other tenants' things and other roles' screens look.
 */
export function errorBox(error) {
  if (!(error instanceof ApiError)) {
    return h('div', { class: 'error-box', role: 'alert' }, h('strong', {}, 'Something went wrong'), h('p', {}, String(error?.message ?? error)));
  }

  const title = TITLES.get(error.status) ?? (error.status >= 500 ? 'The server failed' : `Error ${error.status}`);
  return h('div', { class: 'error-box', role: 'alert', dataset: { code: error.code } },
    h('strong', {}, title),
    h('p', {}, error.message),
    error.details.length > 0 && h('ul', {}, error.details.map((detail) => h('li', {}, where(detail), detail.message))));
}

function where(detail) {
  if (!detail.file) return null;
  const position = [detail.file, detail.line, detail.column].filter((part) => part !== undefined && part !== null).join(':');
  return h('code', {}, `${position} `);
}

export function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
}

export function formatClock(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour12: false });
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export function formatNumber(value, digits = 0) {
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatMoney(amount, currency) {
  // Exact costs are tiny per request; show enough digits that they are not all 0.00.
  return `${Number(amount).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 6 })} ${currency}`;
}

export function formatPercent(ratio) {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.01 ? 2 : 1)} %`;
}
