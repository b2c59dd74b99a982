// The activity chart of an app stage, drawn as inline SVG from GET …/timeline: bars for invocations (errors in red
// on top of them, to scale) and lines for p50 and p95 duration on a second axis.

import { h, s, formatClock, formatMs, formatTime } from './dom.js';

const WIDTH = 1080;
const HEIGHT = 240;
const PAD = { left: 44, right: 64, top: 12, bottom: 28 };

/** @param {{since: string, until: string, bucketSeconds: number, truncated: boolean, buckets: {start: string, invocations: number, errors: number, coldStarts: number, p50DurationMs?: number, p95DurationMs?: number}[]}} timeline */
export function activityChart(timeline) {
  const buckets = timeline.buckets;
  const total = buckets.reduce((sum, b) => sum + b.invocations, 0);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const maxCount = niceMax(Math.max(1, ...buckets.map((b) => b.invocations)));
  const maxMs = niceMax(Math.max(1, ...buckets.map((b) => b.p95DurationMs ?? 0)));
  const step = plotWidth / buckets.length;
  const x = (i) => PAD.left + i * step;
  const yCount = (n) => PAD.top + plotHeight - (n / maxCount) * plotHeight;
  const yMs = (ms) => PAD.top + plotHeight - (ms / maxMs) * plotHeight;

  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': `Invocations, errors and duration: ${total} invocations` });
  svg.append(s('title', {}, `${total} invocations in ${buckets.length} buckets of ${describeSeconds(timeline.bucketSeconds)}`));

  for (const fraction of [0, 0.5, 1]) {
    const y = PAD.top + plotHeight - fraction * plotHeight;
    svg.append(
      s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y, class: 'grid' }),
      s('text', { x: PAD.left - 6, y: y + 4, class: 'axis axis-left' }, formatCount(maxCount * fraction)),
      s('text', { x: WIDTH - PAD.right + 6, y: y + 4, class: 'axis axis-right' }, formatMs(maxMs * fraction)));
  }

  buckets.forEach((bucket, i) => {
    const barWidth = Math.max(1, step * 0.7);
    const left = x(i) + (step - barWidth) / 2;
    const group = s('g', { class: 'bucket' },
      s('title', {}, `${formatClock(bucket.start)}: ${bucket.invocations} invocations, ${bucket.errors} errors, ${bucket.coldStarts} cold starts, p50 ${formatMs(bucket.p50DurationMs)}, p95 ${formatMs(bucket.p95DurationMs)}`));
    if (bucket.invocations > 0) {
      group.append(s('rect', { x: left, y: yCount(bucket.invocations), width: barWidth, height: yCount(0) - yCount(bucket.invocations), class: 'bar' }));
    }
    if (bucket.errors > 0) {
      group.append(s('rect', { x: left, y: yCount(bucket.errors), width: barWidth, height: yCount(0) - yCount(bucket.errors), class: 'bar-error' }));
    }
    if (bucket.coldStarts > 0) {
      // A diamond above the bar: how many requests in this bucket had to start an instance.
      const cx = x(i) + step / 2;
      const cy = yCount(bucket.invocations) - 6;
      group.append(s('path', { d: `M${cx},${cy - 4} L${cx + 4},${cy} L${cx},${cy + 4} L${cx - 4},${cy} Z`, class: 'cold-start' }),
        s('text', { x: cx, y: cy - 6, class: 'axis cold-start-count' }, String(bucket.coldStarts)));
    }
    svg.append(group);
  });

  for (const [key, className] of [['p50DurationMs', 'line-p50'], ['p95DurationMs', 'line-p95']]) {
    const points = buckets.map((b, i) => (b[key] === null || b[key] === undefined ? null : `${x(i) + step / 2},${yMs(b[key])}`));
    for (const run of runs(points)) {
      svg.append(run.length === 1
        ? s('circle', { cx: run[0].split(',')[0], cy: run[0].split(',')[1], r: 2.5, class: className })
        : s('polyline', { points: run.join(' '), class: className }));
    }
  }

  svg.append(
    s('text', { x: PAD.left, y: HEIGHT - 8, class: 'axis' }, formatTime(timeline.since)),
    s('text', { x: WIDTH - PAD.right, y: HEIGHT - 8, class: 'axis axis-left' }, `now (${formatClock(timeline.until)})`));

  return h('figure', { class: 'chart-box' }, svg,
    h('figcaption', { class: 'legend' },
      h('span', { class: 'key key-bar' }, 'invocations'),
      h('span', { class: 'key key-error' }, 'errors'),
      h('span', { class: 'key key-p50' }, 'p50 duration'),
      h('span', { class: 'key key-p95' }, 'p95 duration'),
      h('span', { class: 'key key-cold' }, 'cold starts'),
      h('span', { class: 'muted' }, `· ${describeSeconds(timeline.bucketSeconds)} per bar`),
      timeline.truncated && h('span', { class: 'warn-text' }, ' · more invocations than one chart reads: the oldest bars are incomplete')));
}

/** Consecutive non-null points, so a line breaks where a bucket had no invocations instead of inventing values. */
function runs(points) {
  const result = [];
  let current = [];
  for (const point of points) {
    if (point) current.push(point);
    else if (current.length) { result.push(current); current = []; }
  }
  if (current.length) result.push(current);
  return result;
}

function niceMax(value) {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= value);
}

function formatCount(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function describeSeconds(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
