// @ts-check
/** The controls: a click is a POST (the token in its header); the answer is shown on the page. */
import { forgetToken, h, showError, showMessage, token } from './kit.js';
import { refreshPlan } from './plan.js';
import { refreshProject } from './services.js';

// ---------------------------------------------------------------- actions

/** POST path → the API's `{ ok, actions, message }`; a failure is shown on the page. */
export async function act(path, what, button) {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'X-Uiprocs-Token': await token() } });
    const body = await res.json().catch(() => null);
    if (!res.ok || body?.ok === false) {
      const why = body?.error ?? `HTTP ${res.status} ${res.statusText}`;
      if (res.status === 401 || res.status === 403) forgetToken();
      showError(
        what,
        res.status === 401 ? `${why} (the token changed? open the URL \`uiprocs ps\` prints)` : why,
      );
    } else {
      const n = body?.actions?.length ?? 0;
      showMessage(
        `${what}: ${body?.message || (n === 0 ? 'nothing to do' : `${n} action${n === 1 ? '' : 's'}`)}`,
      );
    }
  } catch (error) {
    showError(what, `the dashboard did not answer (${error.message})`);
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
    // What `up` would do and whether a supervisor runs may have changed (the server's
    // next look sends a plan event too; the GET is sooner).
    refreshPlan();
    refreshProject();
  }
}

export const projectPaths = { start: 'api/up', stop: 'api/down', restart: 'api/restart' };

document.addEventListener('click', (event) => {
  const target = /** @type {Element} */ (event.target);
  const button = /** @type {HTMLButtonElement | null} */ (target.closest('button[data-action]'));
  if (!button || button.disabled) return;
  const action = button.dataset.action;
  if (action === 'apply') return act('api/up', 'apply', button);
  if (!['start', 'stop', 'restart'].includes(action)) return;
  if (button.hasAttribute('data-project')) return act(projectPaths[action], `${action} project`, button);
  const name = button.dataset.group ?? button.dataset.service;
  if (name === undefined) return;
  act(`api/services/${encodeURIComponent(name)}/${action}`, `${action} ${name}`, button);
});

export function actionButtons(attr, name, label) {
  return ['start', 'stop', 'restart'].map((action) =>
    h(
      'button',
      { type: 'button', [attr]: name, 'data-action': action, 'aria-label': `${action} ${label}` },
      action,
    ),
  );
}
