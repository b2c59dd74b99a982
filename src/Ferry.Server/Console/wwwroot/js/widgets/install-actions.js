// Upgrade and roll back an app installed from the catalog. The upgrade panel shows the changelog since the installed
// version and asks for the parameters the new version adds (when the template comes from this server's own hub).

import { path } from '../api.js';
import { h, notice, errorBox, loading } from '../dom.js';
import { parameterFields } from '../parameters.js';

/**
 * @param {object} options
 * @param {object} options.install the app's InstallInfo.
 * @param {HTMLElement} options.messages where outcomes are announced (kept across redraws).
 * @param {() => Promise<void>} options.onChanged redraws the app after an upgrade or rollback.
 */
export function installActions({ api, install, messages, onChanged, signal }) {
  const where = { region: install.region };
  const actions = h('div', { class: 'actions' });
  const panel = h('div', { class: 'upgrade-panel', hidden: true });
  const busy = (button, text) => { button.disabled = true; button.textContent = text; };

  if (install.updateAvailable) {
    const open = h('button', { type: 'button', class: 'primary', id: 'upgrade' }, `Upgrade to ${install.updateAvailable}`);
    open.addEventListener('click', async () => {
      panel.hidden = !panel.hidden;
      if (!panel.hidden && panel.childElementCount === 0) await fillUpgradePanel();
    });
    actions.append(open);
  }

  const rollback = h('button', { type: 'button', id: 'rollback' }, 'Roll back');
  rollback.addEventListener('click', () => {
    const confirm = h('button', { type: 'button', class: 'danger', id: 'confirm-rollback' }, 'Roll back now');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const box = h('div', { class: 'confirm' }, `Return ${install.service} to the version before ${install.version}?`, ' ', confirm, ' ', cancel);
    cancel.addEventListener('click', () => box.remove());
    confirm.addEventListener('click', async () => {
      busy(confirm, 'Rolling back…');
      try {
        const result = await api.post(path`/installs/${install.service}/${install.stage}/rollback`, undefined, { query: where, signal });
        messages.replaceChildren(notice(`Rolled back to ${result.template}@${result.version}.`, 'ok'));
        await onChanged();
      } catch (error) {
        box.replaceWith(errorBox(error));
      }
    });
    actions.after(box);
  });
  actions.append(rollback);

  async function fillUpgradePanel() {
    panel.replaceChildren(loading());
    const target = install.updateAvailable;
    const newParameters = await parametersAddedBy(target).catch((error) => error);
    const fields = Array.isArray(newParameters) && newParameters.length > 0 ? parameterFields(newParameters, 'upgrade') : null;
    const start = h('button', { type: 'submit', class: 'primary', id: 'confirm-upgrade' }, `Upgrade now to ${target}`);
    const result = h('div', {});
    const form = h('form', { novalidate: true },
      h('h3', {}, `Changes since ${install.version}`),
      install.changelog.length === 0 ? h('p', { class: 'muted' }, 'The provider wrote no changelog.')
        : h('ul', { class: 'changelog' }, install.changelog.map((entry) =>
          h('li', {}, h('strong', {}, entry.version), ' ', entry.changelog ?? h('span', { class: 'muted' }, '(no notes)')))),
      h('h3', {}, 'New parameters'),
      newParameters instanceof Error ? errorBox(newParameters)
        : newParameters === null ? h('p', { class: 'muted' }, `The template comes from the hub "${install.hub}"; its parameters are checked when you upgrade.`)
          : fields ? fields.element : h('p', { class: 'muted' }, 'None: the current values are kept.'),
      h('p', { class: 'hint' }, 'The new version gets a health check before it takes traffic; if it fails, traffic stays on the current version.'),
      result,
      start);

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      busy(start, 'Upgrading…');
      result.replaceChildren();
      try {
        const outcome = await api.post(path`/installs/${install.service}/${install.stage}/upgrade`,
          { to: target, parameters: fields?.values() ?? {} }, { query: where, signal });
        messages.replaceChildren(outcome.outcome === 'upgraded'
          ? notice(`Upgraded ${outcome.fromVersion} → ${outcome.toVersion}. The new version is live.`, 'ok')
          : notice(`Upgrade to ${outcome.toVersion} refused, still on ${outcome.fromVersion}: ${outcome.reason}`, 'warn'));
        await onChanged();
      } catch (error) {
        result.replaceChildren(errorBox(fields ? fields.take(error) : error));
        start.disabled = false;
        start.textContent = `Upgrade now to ${target}`;
      }
    });
    panel.replaceChildren(form);
  }

  /** Parameters of `version` that the install has no value for; null when the hub is not this server. */
  async function parametersAddedBy(version) {
    if (install.hub !== 'local') return null;
    const template = await api.get(path`/templates/${install.template}`, { signal });
    const next = template.versions.find((v) => v.version === version);
    return (next?.parameters ?? []).filter((p) => !(p.name in install.parameters));
  }

  return h('div', { class: 'install-actions' }, actions, panel);
}
