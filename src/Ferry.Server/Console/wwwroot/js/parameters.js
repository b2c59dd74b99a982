// Form fields generated from a template's parameter schema (GET /api/v1/templates/{name}: versions[].parameters),
// used by the deploy form and the upgrade panel. The server validates (one set of rules, shared with the CLI); its
// 422 details ("param 'apiKey': is required …") are shown next to the field they name.

import { h } from './dom.js';

const DETAIL = /^param '([^']+)': (.*)$/s;

/**
 * @param {{name: string, type: string, description?: string, default?: string, required: boolean,
 *          allowedValues: string[], pattern?: string, minimum?: number, maximum?: number, secret: boolean}[]} parameters
 * @param {string} idPrefix keeps element ids unique when two forms are on one page.
 */
export function parameterFields(parameters, idPrefix) {
  const fields = new Map(parameters.map((parameter) => [parameter.name, field(parameter, `${idPrefix}-${parameter.name}`)]));
  const element = h('div', { class: 'fields' }, [...fields.values()].map((f) => f.element));

  return {
    element,

    /** The values the user entered; empty fields are left out, so the template's default applies. */
    values() {
      const values = {};
      for (const [name, f] of fields) {
        const value = f.control.value;
        if (value !== '') values[name] = value;
      }
      return values;
    },

    clearErrors() {
      for (const f of fields.values()) f.setError(null);
    },

    /** Puts each "param 'x': …" detail under its field; returns the details that name no field here. */
    showErrors(details) {
      this.clearErrors();
      const others = [];
      let first = null;
      for (const detail of details) {
        const match = DETAIL.exec(detail.message);
        const target = match && fields.get(match[1]);
        if (!target) {
          others.push(detail);
          continue;
        }
        target.setError(match[2]);
        first ??= target.control;
      }
      first?.focus();
      return others;
    },

    /**
     * Shows an ApiError's per-parameter details at their fields and returns the error for the error box, with the
     * details no field took (or, when the fields took them all, a message pointing at the fields).
     */
    take(error) {
      if (!error.details?.length) return error;
      const others = this.showErrors(error.details);
      const marked = error.details.length - others.length;
      if (marked === 0) return error;
      error.details = others;
      if (others.length === 0) {
        error.message = marked === 1 ? 'One parameter needs attention: see the marked field.' : `${marked} parameters need attention: see the marked fields.`;
      }
      return error;
    },
  };
}

function field(parameter, id) {
  const errorId = `${id}-error`;
  const control = controlFor(parameter, id);
  control.setAttribute('aria-describedby', `${id}-hint ${errorId}`);
  if (parameter.required) control.setAttribute('aria-required', 'true');
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });

  const element = h('div', { class: 'field', dataset: { parameter: parameter.name } },
    h('label', { for: id },
      h('span', { class: 'field-name' }, parameter.name),
      parameter.required && h('span', { class: 'required', title: 'required' }, ' *'),
      h('span', { class: 'field-type' }, ` ${parameter.secret ? 'secret ' : ''}${parameter.type}`)),
    control,
    h('p', { id: `${id}-hint`, class: 'hint' }, hint(parameter)),
    error);

  return {
    element,
    control,
    setError(message) {
      error.hidden = !message;
      error.textContent = message ?? '';
      element.classList.toggle('invalid', Boolean(message));
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    },
  };
}

function controlFor(parameter, id) {
  const choices = parameter.allowedValues.length > 0 ? parameter.allowedValues
    : parameter.type === 'boolean' ? ['true', 'false'] : null;
  if (choices) {
    const blank = parameter.default !== undefined && parameter.default !== null
      ? `(default: ${parameter.default})` : parameter.required ? 'choose…' : '(none)';
    return h('select', { id, name: parameter.name },
      h('option', { value: '' }, blank),
      choices.map((choice) => h('option', { value: choice }, choice)));
  }

  return h('input', {
    id,
    name: parameter.name,
    type: parameter.secret ? 'password' : parameter.type === 'number' ? 'number' : 'text',
    autocomplete: parameter.secret ? 'new-password' : 'off',
    min: parameter.minimum,
    max: parameter.maximum,
    step: parameter.type === 'number' ? 'any' : undefined,
    placeholder: parameter.default ?? (parameter.secret ? 'secret: stored masked, never shown again' : ''),
    spellcheck: 'false',
  });
}

function hint(parameter) {
  const parts = [];
  if (parameter.description) parts.push(/[.!?]$/.test(parameter.description) ? parameter.description : `${parameter.description}.`);
  if (parameter.default !== undefined && parameter.default !== null) parts.push(`Default: ${parameter.default}.`);
  if (parameter.pattern) parts.push(`Must match ${parameter.pattern}.`);
  if (parameter.minimum !== undefined && parameter.minimum !== null) parts.push(`At least ${parameter.minimum}.`);
  if (parameter.maximum !== undefined && parameter.maximum !== null) parts.push(`At most ${parameter.maximum}.`);
  if (parameter.required) parts.push('Required.');
  return parts.join(' ');
}
