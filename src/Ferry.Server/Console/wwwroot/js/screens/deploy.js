// Deploy a template: a form generated from the chosen version's parameter schema, POST /installs, then progress until
// the app answers on its URL. The server validates everything; its 422 details appear next to the fields.

import { path } from '../api.js';
import { h, errorBox, notice } from '../dom.js';
import { parameterFields } from '../parameters.js';
import { href } from '../router.js';

const NAME_HINT = 'Lowercase letters, digits and "-". Empty: the name the template gives its service.';

export async function render(root, { api, params, query, signal }) {
  document.title = `Deploy ${params.name} · Ferry`;
  root.append(h('p', { class: 'crumbs' },
    h('a', { href: '#/catalog' }, 'Catalog'), ' / ', h('a', { href: href('/templates', [params.name]) }, params.name), ' / deploy'));

  let template;
  try {
    template = await api.get(path`/templates/${params.name}`, { signal });
  } catch (error) {
    if (!error.isNotFound) throw error;
    root.append(h('h1', {}, `Deploy ${params.name}`), errorBox(error));
    return;
  }

  const versions = template.versions.filter((v) => v.status === 'approved').reverse();
  root.append(h('h1', {}, `Deploy ${template.name}`), h('p', { class: 'lead' }, template.description));
  if (versions.length === 0) {
    root.append(notice('This template has no approved version yet.', 'warn'));
    return;
  }

  const versionSelect = h('select', { id: 'version', name: 'version' },
    versions.map((v, i) => h('option', { value: v.version }, i === 0 ? `${v.version} (latest)` : v.version)));
  if (query.version) versionSelect.value = query.version;
  const nameInput = h('input', { id: 'app-name', name: 'name', autocomplete: 'off', spellcheck: 'false', placeholder: 'as in the template', 'aria-describedby': 'app-name-hint' });
  const stageInput = h('input', { id: 'stage', name: 'stage', autocomplete: 'off', value: 'dev', spellcheck: 'false' });
  const regionInput = h('input', { id: 'region', name: 'region', autocomplete: 'off', placeholder: 'local', spellcheck: 'false' });
  const parameterBox = h('fieldset', { class: 'parameters' }, h('legend', {}, 'Parameters'));
  const submit = h('button', { type: 'submit', class: 'primary', id: 'install' }, 'Deploy');
  const result = h('div', { class: 'result', id: 'deploy-result' });

  let fields = null;
  const drawFields = () => {
    const version = versions.find((v) => v.version === versionSelect.value);
    fields = parameterFields(version.parameters, 'param');
    parameterBox.replaceChildren(h('legend', {}, 'Parameters'),
      version.parameters.length === 0 ? h('p', { class: 'muted' }, 'This version has no parameters.') : fields.element);
  };
  versionSelect.addEventListener('change', drawFields);
  drawFields();

  const form = h('form', { class: 'panel deploy-form', novalidate: true },
    h('div', { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'version' }, 'Version'), versionSelect),
      h('div', { class: 'field' }, h('label', { for: 'stage' }, 'Stage'), stageInput),
      h('div', { class: 'field' }, h('label', { for: 'region' }, 'Region'), regionInput)),
    h('div', { class: 'field' }, h('label', { for: 'app-name' }, 'App name'), nameInput, h('p', { id: 'app-name-hint', class: 'hint' }, NAME_HINT)),
    parameterBox,
    result,
    h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    fields.clearErrors();
    const request = {
      template: template.name,
      version: versionSelect.value,
      hub: 'local',
      name: nameInput.value.trim() || null,
      stage: stageInput.value.trim() || null,
      region: regionInput.value.trim() || null,
      parameters: fields.values(),
    };
    const progress = h('ol', { class: 'progress', id: 'deploy-progress' });
    result.replaceChildren(progress);
    const step = addStep(progress, `Verifying the signature of ${template.name}@${request.version} and deploying…`);
    try {
      const installed = await api.post('/installs', request, { signal });
      step.done(`Deployed revision ${installed.revision} of ${installed.service}/${installed.stage}.`);
      form.querySelectorAll('input, select').forEach((control) => { control.disabled = true; });
      await waitUntilLive(api, installed, progress, signal);
    } catch (error) {
      if (signal.aborted) return;
      step.fail('Not deployed.');
      result.append(errorBox(fields.take(error)));
      submit.disabled = false;
    }
  });

  root.append(form);
}

function addStep(list, text) {
  const item = h('li', { class: 'step running' }, text);
  list.append(item);
  return {
    done(message) { item.className = 'step done'; item.textContent = message; },
    fail(message) { item.className = 'step failed'; item.textContent = message; },
  };
}

/**
 * The install answer means the revision is active; "live" is when its URL answers. Probes the first route that can
 * be opened as written (GET without path parameters); an app without one is live once it is served.
 */
async function waitUntilLive(api, installed, progress, signal) {
  const app = await api.get(path`/apps/${installed.service}/${installed.stage}`, { query: { region: installed.region }, signal });
  const probe = app.routes.find((r) => ['GET', 'ANY'].includes(r.method) && !r.url.includes('{'));
  const appLink = href('/apps', [installed.service, installed.stage, installed.region]);
  if (probe) {
    const step = addStep(progress, `Waiting for ${probe.url} to answer…`);
    for (let attempt = 1; ; attempt++) {
      const status = await fetch(probe.url, { signal, cache: 'no-store' }).then((r) => r.status, () => 0);
      if (status > 0 && status < 500) {
        step.done(`${probe.url} answered ${status}.`);
        break;
      }
      if (attempt === 60) {
        step.fail(`${probe.url} did not answer within a minute (last status ${status || 'no answer'}); see the app's logs.`);
        progress.after(h('p', {}, h('a', { href: appLink, class: 'button' }, 'Open the app and its logs')));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  progress.append(h('li', { class: 'step done live', id: 'deploy-live' }, 'Live: ',
    h('a', { href: probe?.url ?? `${app.baseUrl}/`, target: '_blank', rel: 'noopener', class: 'mono', id: 'live-url' }, probe?.url ?? app.baseUrl)));
  progress.after(h('p', {}, h('a', { href: appLink, class: 'button primary', id: 'open-app' }, `Open ${installed.service}/${installed.stage}`)));
}
