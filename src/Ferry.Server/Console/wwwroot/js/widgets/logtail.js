// Live log tail of an app stage: the last minutes from GET …/logs, then GET …/logs/stream (ndjson) resumed after the
// last line seen, reconnecting with backoff. Search, stream and function filters apply to the lines on screen.

import { path } from '../api.js';
import { h, formatClock } from '../dom.js';

const BACKLOG_WINDOW_MS = 15 * 60 * 1000;
const MAX_LINES = 2000;
const STREAMS = ['stdout', 'stderr', 'platform'];

/**
 * @returns {{element: HTMLElement, search(text: string): void}} the panel, and a way for other panels to search
 *          (e.g. for a request id from the error statistics).
 */
export function logTail({ api, service, stage, region, functions, signal }) {
  const searchBox = h('input', { type: 'search', id: 'log-search', placeholder: 'Search messages, request ids…', 'aria-label': 'Search logs' });
  const streamBoxes = STREAMS.map((stream) => h('input', { type: 'checkbox', checked: true, value: stream, id: `log-stream-${stream}` }));
  const functionSelect = h('select', { id: 'log-function', 'aria-label': 'Function' },
    h('option', { value: '' }, 'all functions'), functions.map((name) => h('option', { value: name }, name)));
  const status = h('span', { class: 'tail-status', id: 'log-status', role: 'status' }, 'connecting…');
  const counter = h('span', { class: 'muted' });
  const lines = h('div', { class: 'log-lines', id: 'log-lines', tabindex: '0', 'aria-live': 'polite', 'aria-label': 'Log lines' });
  const empty = h('p', { class: 'muted log-empty' }, 'No log lines yet. Call one of the routes and watch them arrive.');

  const matches = (row) => {
    const text = searchBox.value.trim().toLowerCase();
    const fn = functionSelect.value;
    return streamBoxes.some((box) => box.checked && box.value === row.dataset.stream)
      && (!fn || row.dataset.function === fn)
      && (!text || row.dataset.search.includes(text));
  };

  let countPending = false;
  const count = () => {
    if (countPending) return;
    countPending = true;
    requestAnimationFrame(() => {
      countPending = false;
      const shown = [...lines.children].filter((row) => !row.hidden).length;
      counter.textContent = `${shown} of ${lines.children.length} lines`;
      empty.hidden = lines.children.length > 0;
    });
  };

  const filter = () => {
    for (const row of lines.children) row.hidden = !matches(row);
    count();
  };

  const add = (line) => {
    const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
    const row = h('div', {
      class: 'log-line',
      dataset: {
        id: line.id,
        stream: line.stream,
        function: line.function,
        search: `${line.message} ${line.requestId ?? ''} ${line.function}`.toLowerCase(),
      },
    },
    h('time', { datetime: line.time, title: new Date(line.time).toISOString() }, formatClock(line.time)),
    h('span', { class: 'log-function' }, line.function),
    h('span', { class: `log-stream log-${line.stream}` }, line.stream),
    h('span', { class: 'log-request', title: line.requestId ?? '' }, line.requestId ? line.requestId.slice(0, 8) : ''),
    h('span', { class: 'log-message' }, line.message));
    row.hidden = !matches(row);
    lines.append(row);
    while (lines.children.length > MAX_LINES) lines.firstElementChild.remove();
    if (atBottom) lines.scrollTop = lines.scrollHeight;
    count();
  };

  for (const control of [searchBox, functionSelect, ...streamBoxes]) control.addEventListener('input', filter);

  const element = h('section', { class: 'panel logs', id: 'logs' },
    h('div', { class: 'panel-head' },
      h('h2', {}, 'Logs'),
      status),
    h('div', { class: 'toolbar' },
      searchBox,
      functionSelect,
      h('fieldset', { class: 'streams' }, h('legend', { class: 'visually-hidden' }, 'Streams'),
        streamBoxes.map((box) => h('label', { for: box.id }, box, ` ${box.value}`))),
      counter),
    empty,
    lines);

  follow({ api, service, stage, region, signal, add, setStatus: (text, kind) => {
    status.textContent = text;
    status.dataset.kind = kind;
  } }).catch((error) => {
    if (!signal.aborted) {
      status.textContent = `stopped: ${error.message}`;
      status.dataset.kind = 'bad';
    }
  });
  filter();

  return {
    element,
    search(text) {
      searchBox.value = text;
      filter();
      element.scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  };
}

async function follow({ api, service, stage, region, signal, add, setStatus }) {
  let after = null;
  const backlog = await api.get(path`/apps/${service}/${stage}/logs`, {
    query: { region, since: new Date(Date.now() - BACKLOG_WINDOW_MS).toISOString(), limit: 1000 },
    signal,
  });
  for (const line of backlog) {
    add(line);
    after = line.id;
  }

  let delayMs = 1000;
  while (!signal.aborted) {
    try {
      setStatus('● live', 'ok');
      for await (const line of api.lines(path`/apps/${service}/${stage}/logs/stream`, { query: { region, after }, signal })) {
        if (after !== null && line.id <= after) continue;
        add(line);
        after = line.id;
        delayMs = 1000;
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error.isNotFound || error.isForbidden) throw error;
    }
    setStatus(`reconnecting in ${delayMs / 1000} s…`, 'warn');
    await sleep(delayMs, signal);
    delayMs = Math.min(delayMs * 2, 15000);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
