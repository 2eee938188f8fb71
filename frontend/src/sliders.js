// LatentLab's traversal sliders: a Streamlit custom component (v2), one slider per latent and the decoded picture.
//
// A move asks the server for the new picture directly (`${url}?z=v0,v1,...`, latentlab/ui/item_route.py): one
// decode and one PNG, without a rerun of the page's script or a redraw of its elements, so many people can move
// sliders on one server at once. At most one picture is asked for at a time; moves made meanwhile are folded into
// the next request, so the picture follows the handle without a queue of stale codes.
//
// Python (latentlab/ui/traverse_sliders.py) sends `data`:
//   key        changes when the base point, the range or "Reset sliders" does: the sliders start again from `base`
//   base       the code the sliders start from (one value per latent)
//   latents    [{d, label, min, max, step, values}] in the order shown; `values` (a quantized latent's codebook)
//              makes its slider step through them
//   url        where decoded pictures are fetched; caption   the decoded picture's caption
//   input      optional {src, caption}: the base item's own picture, shown beside the decoded one
//   size       the pictures' width in pixels
// Nothing is sent back: the sliders' code lives in the browser.

import { el } from './dom.js';

const CSS = `
.ll-sliders { display: flex; gap: 24px; align-items: flex-start; font-family: var(--st-font, sans-serif);
  color: var(--st-text-color, #31333f); font-size: 14px; }
.ll-sliders .controls { flex: 3; min-width: 0; }
.ll-sliders .row { display: grid; grid-template-columns: minmax(140px, 34%) 1fr 64px; gap: 10px; align-items: center;
  padding: 3px 0; }
.ll-sliders .row label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ll-sliders .row.passive label { opacity: 0.6; }
.ll-sliders input[type=range] { width: 100%; accent-color: var(--st-primary-color, #ff4b4b); margin: 0; }
.ll-sliders .value { font-family: var(--st-code-font, monospace); font-size: 12px; text-align: right; }
.ll-sliders button { margin-top: 10px; font: inherit; padding: 5px 12px; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--st-border-color, #d5d5d9); background: var(--st-background-color, #fff); color: inherit; }
.ll-sliders .pictures { flex: 2; display: flex; gap: 16px; flex-wrap: wrap; }
.ll-sliders figure { margin: 0; text-align: center; }
.ll-sliders figure img { display: block; image-rendering: pixelated; background: #000; }
.ll-sliders figcaption { margin-top: 6px; font-size: 13px; opacity: 0.7; }
`;

const views = new Map();

export default function sliders(component) {
  const { data, parentElement } = component;
  let view = views.get(parentElement);
  if (!view) {
    view = mount(parentElement);
    views.set(parentElement, view);
  }
  update(view, data || {});
  return () => {
    views.delete(parentElement);
    view.root.remove();
    view.style.remove();
  };
}

function mount(parentElement) {
  const style = el('style', { text: CSS }, parentElement);
  const root = el('div', { class: 'll-sliders', 'data-testid': 'll-sliders' }, parentElement);
  const controls = el('div', { class: 'controls' }, root);
  const rows = el('div', {}, controls);
  const reset = el('button', { type: 'button', text: 'Reset sliders', title: 'Back to the base point' }, controls);
  const pictures = el('div', { class: 'pictures' }, root);
  const inputFigure = el('figure', {}, pictures);
  const inputImg = el('img', { alt: 'the base item' }, inputFigure);
  const inputCaption = el('figcaption', {}, inputFigure);
  const decodedFigure = el('figure', {}, pictures);
  const decoded = el('img', { alt: 'decoded from the sliders', 'data-testid': 'll-decoded' }, decodedFigure);
  const decodedCaption = el('figcaption', {}, decodedFigure);
  const view = {
    style, root, rows, inputFigure, inputImg, inputCaption, decoded, decodedCaption,
    key: null, url: '', caption: '', z: [], base: [], inputs: [], loading: false, wanted: null, shown: 0,
  };
  reset.addEventListener('click', () => startFrom(view, view.base));
  decoded.addEventListener('load', () => { decodedCaption.textContent = view.caption; pictureArrived(view); });
  decoded.addEventListener('error', () => {
    decodedCaption.textContent = 'The server could not decode this code; reload the page if the model was replaced.';
    pictureArrived(view);
  });
  return view;
}

function update(view, data) {
  const size = `${Number(data.size) || 192}px`;
  [view.inputImg, view.decoded].forEach((img) => { img.style.width = size; });
  view.caption = data.caption || '';
  if (!view.loading) view.decodedCaption.textContent = view.caption;
  view.inputFigure.style.display = data.input ? '' : 'none';
  if (data.input && view.inputImg.getAttribute('src') !== data.input.src) view.inputImg.src = data.input.src;
  view.inputCaption.textContent = data.input ? data.input.caption : '';
  view.url = data.url || '';
  if (data.key !== view.key) {
    view.key = data.key;
    view.base = (data.base || []).map(Number);
    buildRows(view, data.latents || []);
    startFrom(view, view.base);
  }
}

// One row per latent: its label, a range input and the value it stands at.
function buildRows(view, latents) {
  view.rows.replaceChildren();
  view.inputs = latents.map((latent) => {
    const row = el('div', { class: latent.passive ? 'row passive' : 'row' }, view.rows);
    const id = `ll-z${latent.d}-${Math.random().toString(36).slice(2, 8)}`;
    el('label', { for: id, text: latent.label, title: latent.label }, row);
    const values = Array.isArray(latent.values) ? latent.values.map(Number) : null;
    const digits = values ? 3 : 2; // a codebook's values as the grid's captions give them
    const input = values
      ? el('input', { id, type: 'range', min: '0', max: String(values.length - 1), step: '1' }, row)
      : el('input', { id, type: 'range', min: String(latent.min), max: String(latent.max), step: String(latent.step) }, row);
    input.setAttribute('aria-label', latent.label);
    input.dataset.latent = String(latent.d);
    const readout = el('span', { class: 'value' }, row);
    const valueOf = () => (values ? values[Number(input.value)] : Number(input.value));
    // The handle stands on the step nearest `v`, the code keeps `v` itself (a codebook's nearest value) until moved.
    const set = (v) => {
      input.value = String(values ? nearestIndex(values, v) : v);
      const exact = values ? valueOf() : v;
      readout.textContent = formatValue(exact, digits);
      return exact;
    };
    input.addEventListener('input', () => {
      view.z[latent.d] = valueOf();
      readout.textContent = formatValue(view.z[latent.d], digits);
      ask(view);
    });
    return { d: latent.d, set };
  });
}

function startFrom(view, base) {
  view.z = base.slice();
  view.inputs.forEach((s) => { view.z[s.d] = s.set(base[s.d]); });
  ask(view);
}

// The picture of the current code: asked for now, or once the picture on its way has arrived.
function ask(view) {
  if (!view.url || !view.z.length) return;
  const src = `${view.url}?z=${view.z.map((v) => Number(v).toPrecision(7)).join(',')}`;
  if (view.loading) {
    view.wanted = src;
    return;
  }
  if (view.decoded.getAttribute('src') === src) return;
  view.loading = true;
  view.decoded.src = src;
}

function pictureArrived(view) {
  view.loading = false;
  view.shown += 1;
  view.root.dataset.decoded = String(view.shown); // for tests: how many pictures this view has shown
  if (view.wanted) {
    const next = view.wanted;
    view.wanted = null;
    if (view.decoded.getAttribute('src') !== next) {
      view.loading = true;
      view.decoded.src = next;
    }
  }
}

function nearestIndex(values, v) {
  let best = 0;
  values.forEach((x, i) => { if (Math.abs(x - v) < Math.abs(values[best] - v)) best = i; });
  return best;
}

// Signed, with `digits` decimals; a value that rounds to zero reads +0.00, never -0.00.
function formatValue(v, digits) {
  const rounded = Number(Number(v).toFixed(digits)) || 0;
  return `${rounded >= 0 ? '+' : ''}${rounded.toFixed(digits)}`;
}
