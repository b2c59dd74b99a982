// Review one version: what changed since the last approved version (diff lines: "+" added, "-" removed, "~" changed),
// the resolved manifest, and the decision with a comment. The provider sees the same page for their own versions,
// without the buttons.

import { path } from '../api.js';
import { h, section, table, statusBadge, errorBox, notice, formatTime } from '../dom.js';

export async function render(root, { api, session, params, signal }) {
  const { name, version } = params;
  document.title = `Review ${name}@${version} · Ferry`;
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/reviews' }, 'Reviews'), ' / ', `${name}@${version}`));

  let review;
  try {
    review = await api.get(path`/templates/${name}/versions/${version}/review`, { signal });
  } catch (error) {
    if (!error.isNotFound && !error.isForbidden) throw error;
    root.append(h('h1', {}, `${name}@${version}`), errorBox(error));
    return;
  }

  const info = review.version;
  const state = h('span', { id: 'review-state' }, statusBadge(info.status));
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, `${name} `, h('span', { class: 'stage' }, version)), state),
    h('p', { class: 'lead' }, info.description),
    h('p', { class: 'muted' }, `Submitted ${formatTime(info.submittedAt)} · signed with key `, h('code', {}, info.keyId),
      ' · digest ', h('code', {}, info.digest.slice(0, 19))),
    section(review.previousVersion ? `Changes since ${review.previousVersion}` : 'First version: everything is new',
      info.changelog && h('p', {}, h('strong', {}, 'Changelog: '), info.changelog),
      review.diff.length === 0 ? h('p', { class: 'muted' }, 'No differences.')
        : h('pre', { class: 'diff', id: 'diff' }, review.diff.map((line) => h('span', { class: `diff-line ${diffKind(line)}` }, line, '\n')))),
    h('div', { class: 'columns' },
      section('Parameters', table(['Name', 'Type', 'Required', 'Default', 'Rules'],
        info.parameters.map((p) => [p.name, p.secret ? `secret ${p.type}` : p.type, p.required ? 'yes' : 'no', p.default ?? '—', rules(p)]),
        { empty: 'No parameters.' })),
      section('Closed-source functions', info.closedSourceFunctions.length === 0
        ? h('p', { class: 'muted' }, 'None: all code is open for review.')
        : h('ul', {}, info.closedSourceFunctions.map((f) => h('li', {}, f))))),
    h('details', { class: 'panel' }, h('summary', {}, 'Resolved manifest (parameters shown as ${param:NAME})'),
      h('pre', { class: 'manifest' }, pretty(review.manifestJson))));

  if (info.reviewComment) root.append(notice(`Reviewer comment: ${info.reviewComment}`, info.status === 'rejected' ? 'warn' : 'info'));
  if (session.isReviewer && info.status === 'pending') root.append(decisionForm(api, name, version, state, signal));
}

function decisionForm(api, name, version, state, signal) {
  const comment = h('textarea', { id: 'review-comment', rows: 3, placeholder: 'What the provider should know (required to reject)' });
  const approve = h('button', { type: 'submit', class: 'primary', id: 'approve', value: 'approve' }, 'Approve');
  const reject = h('button', { type: 'submit', class: 'danger', id: 'reject', value: 'reject' }, 'Reject');
  const result = h('div', { id: 'decision-result' });
  const form = h('form', { class: 'panel decision', novalidate: true },
    h('h2', {}, 'Decision'), h('label', { for: 'review-comment' }, 'Comment'), comment, result, h('div', { class: 'form-actions' }, approve, ' ', reject));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const decision = event.submitter?.value ?? 'approve';
    result.replaceChildren();
    approve.disabled = reject.disabled = true;
    try {
      const decided = await api.post(path`/templates/${name}/versions/${version}/${decision}`, { comment: comment.value.trim() || null }, { signal });
      state.replaceChildren(statusBadge(decided.status));
      form.replaceWith(notice(`${name}@${version} is ${decided.status}.`, decided.status === 'approved' ? 'ok' : 'warn'));
    } catch (error) {
      result.append(errorBox(error));
      approve.disabled = reject.disabled = false;
    }
  });
  return form;
}

/** Diff lines are indented under their section ("functions:", "parameters:"); the marker follows the indent. */
function diffKind(line) {
  const marker = line.trimStart()[0];
  if (marker === '+') return 'added';
  if (marker === '-') return 'removed';
  if (marker === '~') return 'changed';
  return line.endsWith(':') ? 'heading' : 'context';
}

function rules(parameter) {
  const parts = [];
  if (parameter.allowedValues.length > 0) parts.push(`one of ${parameter.allowedValues.join(', ')}`);
  if (parameter.pattern) parts.push(`matches ${parameter.pattern}`);
  if (parameter.minimum !== undefined && parameter.minimum !== null) parts.push(`≥ ${parameter.minimum}`);
  if (parameter.maximum !== undefined && parameter.maximum !== null) parts.push(`≤ ${parameter.maximum}`);
  return parts.join('; ') || '—';
}

function pretty(json) {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
