// How an app stage behaves and what it costs: activity over time (GET …/timeline), error statistics of the last
// 24 h by function and by message (GET …/errors), and usage and cost in the current billing period (GET /usage).

import { path } from '../api.js';
import { activityChart } from '../chart.js';
import { h, section, table, badge, errorBox, loading, formatMs, formatNumber, formatMoney, formatPercent, formatTime } from '../dom.js';

export function activityPanel({ api, service, stage, region, signal }) {
  const body = h('div', {}, loading());
  api.get(path`/apps/${service}/${stage}/timeline`, { query: { region, buckets: 48 }, signal })
    .then((timeline) => body.replaceChildren(activityChart(timeline)))
    .catch((error) => signal.aborted || body.replaceChildren(errorBox(error)));
  return h('section', { class: 'panel', id: 'activity' }, h('h2', {}, 'Activity ', h('span', { class: 'muted' }, 'last 24 h')), body);
}

/** @param {(requestId: string) => void} onRequest shows a request's log lines. */
export function errorsPanel({ api, service, stage, region, signal, onRequest }) {
  const body = h('div', {}, loading());
  api.get(path`/apps/${service}/${stage}/errors`, { query: { region }, signal })
    .then((report) => body.replaceChildren(
      h('h3', {}, 'By function'),
      table(['Function', 'Invocations', 'Errors', 'Error rate', 'Cold starts', 'p50', 'p95', 'Max'],
        report.functions.map((f) => [
          f.function, formatNumber(f.invocations), formatNumber(f.errors),
          f.errors > 0 ? badge(formatPercent(f.errorRate), 'bad') : formatPercent(f.errorRate),
          formatNumber(f.coldStarts), formatMs(f.p50DurationMs), formatMs(f.p95DurationMs), formatMs(f.maxDurationMs),
        ]), { className: 'by-function' }),
      h('h3', {}, 'By message'),
      table(['Function', 'Kind', 'Error', 'Count', 'Last seen', 'Last request'],
        report.errors.map((e) => [
          e.function, badge(e.status, 'bad'), h('span', { class: 'error-message' }, e.error ?? '(no message)'), formatNumber(e.count),
          formatTime(e.lastSeen),
          h('button', { type: 'button', class: 'link-button mono', title: 'Show this request\'s log lines', onClick: () => onRequest(e.lastRequestId) },
            e.lastRequestId.slice(0, 8)),
        ]), { empty: 'No errors in the last 24 hours.', className: 'by-message' })))
    .catch((error) => signal.aborted || body.replaceChildren(errorBox(error)));
  return h('section', { class: 'panel', id: 'errors' }, h('h2', {}, 'Errors ', h('span', { class: 'muted' }, 'last 24 h')), body);
}

export function usagePanel({ api, service, stage, region, signal }) {
  const body = h('div', {}, loading());
  api.get('/usage', { signal })
    .then((report) => {
      const mine = report.appStages.find((a) => a.service === service && a.stage === stage && a.region === region);
      const usage = mine?.usage ?? { invocations: 0, billedDurationMs: 0, gbSeconds: 0, requestCost: 0, computeCost: 0, cost: 0 };
      const currency = report.prices.currency;
      body.replaceChildren(
        h('p', { class: 'muted' }, `Billing period ${formatTime(report.from)} – ${formatTime(report.to)} · `,
          `${formatMoney(report.prices.perMillionRequests, currency)} per million requests, `,
          `${formatMoney(report.prices.perGbSecond, currency)} per GB-second`),
        h('dl', { class: 'figures' },
          figure('Invocations', formatNumber(usage.invocations)),
          figure('GB-seconds', formatNumber(usage.gbSeconds, 4)),
          figure('Requests', formatMoney(usage.requestCost, currency)),
          figure('Compute', formatMoney(usage.computeCost, currency)),
          figure('Cost', formatMoney(usage.cost, currency), 'cost')),
        table(['Function', 'Invocations', 'Billed', 'GB-seconds', 'Cost'],
          report.functions.filter((f) => f.service === service && f.stage === stage && f.region === region)
            .map((f) => [f.function, formatNumber(f.usage.invocations), formatMs(f.usage.billedDurationMs),
              formatNumber(f.usage.gbSeconds, 4), formatMoney(f.usage.cost, currency)]),
          { empty: 'No invocations in this period.' }),
        h('p', { class: 'muted' }, `All apps of tenant ${report.tenant}: ${formatMoney(report.total.cost, currency)}`));
    })
    .catch((error) => signal.aborted || body.replaceChildren(errorBox(error)));
  return section('Usage and cost', body);
}

function figure(label, value, className) {
  return h('div', { class: ['figure', className] }, h('dt', {}, label), h('dd', {}, value));
}
