// @ts-check
/** The plan pane: what `uiprocs up` would do now (GET /api/plan, and each `plan` event). */
import { el, getJson, h, text } from './kit.js';

// ---------------------------------------------------------------- plan

export function renderPlan(plan) {
  const show = Boolean(plan) && (plan.ok === false || plan.changed === true);
  el.plan.hidden = !show;
  if (!show) return;
  if (plan.ok) {
    text(el.planTitle, 'uiprocs up would');
    el.planErrors.hidden = true;
    el.planErrors.replaceChildren();
    el.apply.hidden = false;
    const actions = plan.actions ?? [];
    el.planActions.replaceChildren(
      ...(actions.length > 0
        ? actions.map((a) =>
            h(
              'li',
              { 'data-plan-action': a.service },
              h('span', { class: `kind ${a.kind}` }, a.kind),
              ' ',
              h('strong', {}, a.service),
              h('span', { class: 'cause' }, ` — ${a.cause}`),
            ),
          )
        : [h('li', {}, h('pre', {}, plan.text ?? ''))]),
    );
  } else {
    text(el.planTitle, 'The manifest has errors: nothing changes until they are fixed');
    el.apply.hidden = true;
    el.planActions.replaceChildren();
    el.planErrors.hidden = false;
    const errors = plan.errors ?? [];
    el.planErrors.replaceChildren(
      ...(errors.length > 0
        ? errors.map((e) =>
            h(
              'div',
              { class: 'diag' },
              h('code', {}, `${e.file}:${e.line}:${e.column}`),
              ' ',
              h('span', {}, e.message),
              ...(e.source_line ? [h('pre', {}, e.source_line)] : []),
            ),
          )
        : [h('pre', {}, plan.text ?? 'invalid manifest')]),
    );
  }
}

let planSeq = 0;
/** A `plan` event is newer than any GET /api/plan still on its way: that answer is dropped. */
export function planEventArrived() {
  planSeq++;
}
export async function refreshPlan() {
  const seq = ++planSeq;
  try {
    const plan = await getJson('api/plan');
    if (seq === planSeq) renderPlan(plan);
  } catch {
    // an invalid answer is no plan; the next event brings one
  }
}
