// LatentLab's WebGL map: a Streamlit custom component (v2) around regl-scatterplot.
//
// Python (latentlab/ui/scatter.py) sends `data`:
//   points      Arrow table {qx, qy} (uint16 steps across the [-1, 1] square), only when the browser lacks `pointsKey`
//   colour      Arrow table {c} (uint8 or uint16 category per point), only when the browser lacks `colourKey`
//   pointsKey, colourKey   content keys of those tables
//   palette     one CSS colour per category; legend {kind, title, names | min/max}
//   highlight   point indices ringed in red (a search's hits, or a clicked point's neighbours)
//   focus       optional point index: the clicked point, ringed in black; while it is the whole selection it and
//               the highlighted points stay bright (the rest of the map dims)
//   labels      [{i, text}]: a text placed on the map at point i (a cluster's keywords at its centre); shown as
//               text (textContent), never parsed as HTML
//   items       {base, image}: hover fetches `${base}/${i}.json` and, for images, `${base}/${i}.png`; optional
//               `fetch` (a function standing in for window.fetch, as the notebook widget's messages do), whose
//               details may carry `picture`, a URL of the item's picture
//   height      pixels; pointSize   pixels per point; selectable   false: pan, zoom and hover only
//   selected    optional {key, n, total, enc, b64} (packed as the `selection` trigger): shown as this map's
//               selection whenever `key` changes (a selection made on a linked map); absent: the map's own
// and reads back:
//   state `have`          {points, colour}: the keys this browser holds, so Python leaves those tables out
//   trigger `selection`   {n, total, enc: "idx" | "bits", b64}: the selected indices, base64-packed
//
// One scatterplot per mounted element lives across Streamlit reruns, so zoom, pan and the selection
// survive them; the last points and view are also kept at module level for a remount (a page switch).

import createScatterplot from 'regl-scatterplot';
import { el } from './dom.js';
import { resizeRenderer, stageRenderer } from './stage_renderer.js';
import { drawPlacedLabels, screenMapping } from './share_labels.js';

const instances = new WeakMap();
let spare = null; // a scatterplot made while the page waits for its first map (WebGL set-up takes a while)
let shown = false; // a map has been shown: no spare is made any more
const memory = { pointsKey: null, x: null, y: null, view: null, size: null, selection: null };

const CSS = `
.ll-map { position: relative; width: 100%; font: 12px/1.4 var(--st-font, sans-serif); color: var(--st-text-color, #31333f); }
.ll-bar { display: flex; gap: 4px; align-items: center; flex-wrap: wrap; margin-bottom: 4px; }
.ll-bar button { font: inherit; padding: 2px 8px; border: 1px solid var(--st-border-color, #ccc); border-radius: 6px;
  background: var(--st-background-color, #fff); color: inherit; cursor: pointer; }
.ll-bar button[aria-pressed="true"] { background: var(--st-primary-color, #ff4b4b); color: #fff; border-color: transparent; }
.ll-bar label { display: inline-flex; gap: 4px; align-items: center; margin-left: 6px; }
.ll-count { margin-left: auto; opacity: 0.75; }
.ll-stage { position: relative; width: 100%; border: 1px solid var(--st-border-color, #ddd); border-radius: 8px; overflow: hidden;
  background: var(--st-background-color, #fff); }
.ll-stage canvas { display: block; }
.ll-rings { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; overflow: hidden; }
.ll-labels { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.ll-labels div { position: absolute; transform: translate(-50%, -50%); white-space: nowrap; font-weight: 600; font-size: 12px;
  color: #1a1a2e; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.ll-tip { position: absolute; pointer-events: none; display: none; z-index: 5; max-width: 260px; padding: 6px 8px;
  border-radius: 6px; background: rgba(20, 20, 30, 0.92); color: #fff; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.3); }
.ll-tip img { display: block; width: 96px; height: 96px; image-rendering: pixelated; margin-top: 4px; background: #000; }
.ll-tip table { border-collapse: collapse; margin-top: 4px; }
.ll-tip td { padding: 0 6px 0 0; font-family: var(--st-code-font, monospace); font-size: 11px; }
.ll-legend { position: absolute; top: 8px; right: 8px; max-height: calc(100% - 16px); overflow-y: auto; padding: 6px 8px;
  border-radius: 6px; background: rgba(255, 255, 255, 0.85); color: #222; font-size: 11px; }
.ll-legend .sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; vertical-align: -1px; }
.ll-legend .bar { width: 14px; height: 160px; border-radius: 3px; }
.ll-legend .scale { display: flex; gap: 6px; align-items: stretch; }
.ll-legend .ticks { display: flex; flex-direction: column; justify-content: space-between; }
`;

export default function map(component) {
  const { data, parentElement } = component;
  if (data && data.preload) { // mounted ahead of any map: load this code and make a scatterplot early
    if (!spare && !shown) {
      spare = mount(el('div', { style: 'position:absolute;width:600px;height:0;overflow:hidden;visibility:hidden' }, parentElement));
      spare.root.removeAttribute('data-testid'); // a map only once it shows one
    }
    return undefined;
  }
  let view = instances.get(parentElement);
  if (!view) {
    view = spare ? adopt(spare, parentElement) : mount(parentElement);
    spare = null;
    shown = true;
    instances.set(parentElement, view);
  }
  view.setStateValue = component.setStateValue;
  view.setTriggerValue = component.setTriggerValue;
  update(view, data || {});
  return () => {
    instances.delete(parentElement);
    view.destroy();
  };
}

// Move the spare scatterplot (its style and elements) into the element that shows a map.
function adopt(view, parentElement) {
  parentElement.appendChild(view.style);
  parentElement.appendChild(view.root);
  view.root.setAttribute('data-testid', 'll-map');
  view.resize();
  return view;
}

function mount(parentElement) {
  const style = el('style', { text: CSS }, parentElement);
  const root = el('div', { class: 'll-map', 'data-testid': 'll-map' }, parentElement);
  const bar = el('div', { class: 'll-bar' }, root);
  const modes = {
    lasso: el('button', { text: 'Lasso', title: 'Draw around points to select them', 'data-mode': 'lasso' }, bar),
    box: el('button', { text: 'Box', title: 'Drag a rectangle to select points', 'data-mode': 'box' }, bar),
    pan: el('button', { text: 'Pan', title: 'Drag to pan; the wheel zooms in every mode', 'data-mode': 'pan' }, bar),
  };
  const none = el('button', { text: 'Select none', title: 'Clear the selection (or press Escape)' }, bar);
  const reset = el('button', { text: 'Reset view', title: 'Zoom out to the whole map' }, bar);
  const hideLabel = el('label', { title: 'Hide unselected points instead of dimming them' }, bar);
  const hide = el('input', { type: 'checkbox' }, hideLabel);
  hideLabel.appendChild(document.createTextNode('hide unselected'));
  const namesLabel = el('label', { title: 'Show each cluster\'s keywords at its centre', style: 'display:none' }, bar);
  const names = el('input', { type: 'checkbox', checked: '' }, namesLabel);
  namesLabel.appendChild(document.createTextNode('cluster keywords'));
  const count = el('span', { class: 'll-count' }, bar);
  const stage = el('div', { class: 'll-stage' }, root);
  const canvas = el('canvas', {}, stage);
  const rings = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  rings.setAttribute('class', 'll-rings');
  stage.appendChild(rings);
  const labelLayer = el('div', { class: 'll-labels', 'data-testid': 'll-labels' }, stage);
  const legend = el('div', { class: 'll-legend' }, stage);
  const tip = el('div', { class: 'll-tip', 'data-testid': 'll-tip' }, stage);

  const renderer = stageRenderer(600, 400);
  const plot = createScatterplot({
    canvas,
    renderer,
    width: 600,
    height: 400,
    pointSize: 4,
    colorBy: 'valueA',
    pointSizeSelected: 1,
    pointOutlineWidth: 1,
    opacityInactiveScale: 0.25,
    backgroundColor: [1, 1, 1, 1],
    pointColorActive: [0, 0, 0, 1],
    lassoColor: [0.1, 0.4, 0.9, 1],
    lassoMinDelay: 0, // every mouse move is a lasso vertex: the selection is exactly the drawn shape
    lassoMinDist: 1,
    lassoClearEvent: 'lassoEnd',
    mouseMode: 'lasso',
    deselectOnDblClick: true,
    deselectOnEscape: true,
    // The spatial index built here, not in a worker: a worker receives the points as a million small arrays,
    // whose copy took longer than the index (1,000,000 points drawn in 1.6 s instead of 3.2 s, software WebGL).
    spatialIndexUseWorker: false,
  });

  const view = {
    plot, style, root, stage, canvas, rings, legend, tip, count, hide, labelLayer, names, namesLabel, labels: [],
    pointsKey: null, colourKey: null, x: null, y: null, z: null, n: 0,
    palette: [], legendSpec: null, items: null, highlight: [], focus: -1, selection: [], selectedKey: null,
    selectable: true, selectTools: [], setMode: null,
    reported: null, pending: Promise.resolve(), mouse: [0, 0], hovered: -1, infoCache: new Map(),
    setStateValue: null, setTriggerValue: null,
  };

  view.selectTools = [modes.lasso, modes.box, none, hideLabel];
  const setMode = (mode) => {
    Object.entries(modes).forEach(([m, b]) => b.setAttribute('aria-pressed', String(m === mode)));
    if (mode === 'pan') plot.set({ mouseMode: 'panZoom' });
    else plot.set({ mouseMode: 'lasso', lassoType: mode === 'box' ? 'rectangle' : 'freeform' });
    root.dataset.mode = mode;
  };
  view.setMode = setMode;
  Object.entries(modes).forEach(([m, b]) => b.addEventListener('click', () => setMode(m)));
  setMode('lasso');
  none.addEventListener('click', () => plot.deselect());
  reset.addEventListener('click', () => fitView(view));
  hide.addEventListener('change', () => applyHide(view));
  names.addEventListener('change', () => drawRings(view));

  // `select` fires before `lassoEnd`: send once the current event burst is over.
  let sendTimer = null;
  const sendSelection = () => {
    clearTimeout(sendTimer);
    sendTimer = setTimeout(() => {
      if (view.setTriggerValue && view.selectable) view.setTriggerValue('selection', packSelection(view.selection, view.n));
    }, 0);
  };
  // A lasso closed where it began also reads as a click on the point under the pointer: keep the lasso's.
  let lassoing = false;
  let lassoEnded = -1;
  let lassoPicked = null;
  plot.subscribe('lassoStart', () => { lassoing = true; });
  plot.subscribe('lassoEnd', () => { lassoing = false; lassoEnded = performance.now(); });
  plot.subscribe('select', ({ points }) => {
    if (!view.selectable) {
      plot.deselect({ preventEvent: true });
      return;
    }
    if (lassoing) lassoPicked = points;
    else if (points.length === 1 && lassoPicked && performance.now() - lassoEnded < 250) {
      plot.select(lassoPicked, { preventEvent: true });
      return;
    }
    view.selection = Array.from(points).sort((a, b) => a - b);
    if (view.pointsKey === memory.pointsKey) memory.selection = view.selection;
    updateCount(view);
    applyHide(view);
    sendSelection();
  });
  plot.subscribe('deselect', () => {
    view.selection = [];
    if (view.pointsKey === memory.pointsKey) memory.selection = null;
    updateCount(view);
    applyHide(view);
    sendSelection();
  });
  plot.subscribe('view', ({ view: matrix }) => {
    if (view.pointsKey && view.pointsKey === memory.pointsKey) {
      memory.view = Array.from(matrix);
      memory.size = stageSize(view);
    }
    drawRings(view);
  });
  plot.subscribe('pointOver', (i) => showTip(view, i));
  plot.subscribe('pointOut', () => hideTip(view));
  canvas.addEventListener('mousemove', (e) => {
    const r = stage.getBoundingClientRect();
    view.mouse = [e.clientX - r.left, e.clientY - r.top];
    if (view.hovered >= 0) placeTip(view);
  });
  canvas.addEventListener('mouseleave', () => hideTip(view));

  const resize = () => {
    const width = Math.max(100, Math.floor(stage.clientWidth));
    const height = Math.max(100, Math.floor(stage.clientHeight));
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    resizeRenderer(renderer, width, height);
    plot.set({ width, height });
    drawRings(view);
  };
  const observer = new ResizeObserver(resize);
  observer.observe(stage);
  view.resize = resize;
  // For tests and benchmarks: where a point is drawn, in pixels of the stage.
  root.screenPosition = (i) => plot.getScreenPosition(i);
  root.drawOrder = () => plot.get('pointOrder');
  root.brightPoints = () => Array.from(plot.get('selectedPoints') || []); // drawn undimmed
  view.destroy = () => {
    observer.disconnect();
    clearTimeout(sendTimer);
    plot.destroy();
    renderer.destroy(); // the map's own: a plot leaves a renderer it was given alone
    root.remove();
    style.remove();
  };
  return view;
}

// Points are drawn in one fixed shuffled order, not in the order of their rows: later points cover earlier
// ones, and rows are often sorted (by class, by a factor), so row order would let the last class hide the others.
let shuffled = { n: -1, order: null };
function drawOrder(n) {
  if (shuffled.n !== n) {
    const order = new Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    let seed = 0x9e3779b9; // xorshift32: the same order for the same number of points, in every browser
    for (let i = n - 1; i > 0; i--) {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      const j = (seed >>> 0) % (i + 1);
      const t = order[i]; order[i] = order[j]; order[j] = t;
    }
    shuffled = { n, order };
  }
  return shuffled.order;
}

function column(table, name) {
  const child = table && table.getChild ? table.getChild(name) : null;
  return child ? child.toArray() : null;
}

// Positions travel as uint16 steps across the [-1, 1] square (latentlab/core/positions.py); the map draws float32.
function unitSquare(steps) {
  if (!steps) return null;
  const out = new Float32Array(steps.length);
  const step = 2 / 65535;
  for (let i = 0; i < steps.length; i++) out[i] = steps[i] * step - 1;
  return out;
}

function update(view, data) {
  const height = Number(data.height) || 620;
  if (view.stage.style.height !== `${height}px`) {
    view.stage.style.height = `${height}px`;
    view.resize();
  }
  if (JSON.stringify(data.items || null) !== JSON.stringify(view.items)) view.infoCache.clear();
  view.items = data.items || null;
  const selectable = data.selectable !== false;
  if (selectable !== view.selectable) {
    view.selectable = selectable;
    view.selectTools.forEach((b) => { b.style.display = selectable ? '' : 'none'; });
    view.setMode(selectable ? 'lasso' : 'pan');
  }
  if (data.pointSize && data.pointSize !== view.plot.get('pointSize')) view.plot.set({ pointSize: data.pointSize });
  let redraw = false;
  let newPoints = false;

  if (data.points) {
    view.x = unitSquare(column(data.points, 'qx'));
    view.y = unitSquare(column(data.points, 'qy'));
    newPoints = data.pointsKey !== view.pointsKey;
    view.pointsKey = data.pointsKey;
    redraw = true;
  } else if (data.pointsKey !== view.pointsKey && memory.pointsKey === data.pointsKey && memory.x) {
    // Remounted (the page was left and reopened): the points are still in this browser.
    view.x = memory.x;
    view.y = memory.y;
    view.pointsKey = data.pointsKey;
    newPoints = true;
    redraw = true;
  }
  // Cleared while any draw is under way (the map takes no lasso, click or position query then), set again after.
  if (redraw && view.x) delete view.root.dataset.drawn;
  if (data.colour) {
    view.z = column(data.colour, 'c');
    view.colourKey = data.colourKey;
    redraw = true;
  }
  view.n = view.x ? view.x.length : 0;
  if (view.z && view.z.length !== view.n) view.z = null;
  if (JSON.stringify(data.palette) !== JSON.stringify(view.palette)) {
    view.palette = data.palette || [];
    view.plot.set({ pointColor: view.palette.length ? view.palette : ['#1f77b4'] });
  }
  view.legendSpec = data.legend || null;
  drawLegend(view);
  view.highlight = data.highlight || [];
  view.focus = Number.isInteger(data.focus) ? data.focus : -1;
  view.labels = Array.isArray(data.labels) ? data.labels : [];
  view.namesLabel.style.display = view.labels.length ? '' : 'none';

  let savedView = null;
  if (newPoints) {
    const same = memory.pointsKey === view.pointsKey;
    if (!same) Object.assign(memory, { pointsKey: view.pointsKey, view: null, selection: null });
    memory.x = view.x;
    memory.y = view.y;
    view.selection = same && memory.selection ? memory.selection : [];
    // The camera the points were last seen with, where the stage has the same size: on another page's map of
    // another size (the Compare page's half-width one) the same camera would cut the points off, so they are fitted.
    savedView = same && memory.size === stageSize(view) ? memory.view : null;
  }
  // A selection pushed from Python (made on a linked map) replaces this map's own, once per key.
  const pushed = data.selected && data.selected.key !== view.selectedKey ? data.selected : null;
  if (pushed) {
    view.selectedKey = pushed.key;
    view.selection = unpackSelection(pushed).filter((i) => i < view.n);
  }
  if (redraw && view.x) {
    const points = { x: view.x, y: view.y };
    if (view.z) points.z = view.z;
    view.pending = view.pending
      .then(() => {
        const options = { zDataType: 'categorical', select: view.selection.length ? view.selection : undefined };
        // A new colouring of the same points keeps their spatial index instead of building it again
        // (a second or more in a worker at a million points, when the map takes no input).
        const index = newPoints ? null : view.plot.get('spatialIndex');
        if (index) {
          options.spatialIndex = index;
          options.preventFilterReset = true; // and keeps their draw order's index (hiding is applied again below)
        }
        return view.plot.draw(points, options);
      })
      .then(() => {
        if (newPoints) {
          // After the draw: a draw with another number of points resets the order.
          view.plot.set({ pointOrder: drawOrder(view.n) });
          if (savedView) view.plot.view(savedView, { preventEvent: true });
          else fitView(view);
        }
        if (pushed) showSelection(view);
        brightenFocus(view);
        applyHide(view);
        updateCount(view);
        drawRings(view);
        view.root.dataset.drawn = String(view.n);
        view.root.dataset.pointsKey = view.pointsKey;
        view.root.dataset.colourKey = view.colourKey || '';
      })
      .catch((err) => console.error('LatentLab map: draw failed', err))
      .then(() => reportHeld(view, data)); // after drawing: the rerun this causes does not compete with it
  } else {
    view.pending = view.pending.then(() => {
      if (pushed && view.x) showSelection(view);
      if (view.x) brightenFocus(view);
      updateCount(view);
      drawRings(view);
      view.root.dataset.colourKey = view.colourKey || '';
      reportHeld(view, data);
    });
  }
}

// Tell Python which tables this browser holds; it leaves them out of later runs.
function reportHeld(view, data) {
  const held = { points: view.x ? view.pointsKey : null, colour: view.z ? view.colourKey : null };
  const wanted = { points: data.pointsKey || null, colour: data.colourKey || null };
  const have = {
    points: held.points === wanted.points ? held.points : null,
    colour: held.colour === wanted.colour ? held.colour : null,
  };
  const key = JSON.stringify(have);
  if (key !== view.reported && view.setStateValue) {
    view.reported = key;
    view.setStateValue('have', have);
  }
}

function stageSize(view) {
  return `${view.stage.clientWidth}x${view.stage.clientHeight}`;
}

// Zoom so the points fill the stage (their box in [-1, 1], with a margin) left of the legend, which sits over the
// stage's right edge: the area zoomed to is widened by the legend's share of the stage, so no point lies under it.
function fitView(view) {
  if (!view.x || !view.n) return;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < view.n; i++) {
    const x = view.x[i], y = view.y[i];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const pad = 0.04 * Math.max(x1 - x0, y1 - y0, 1e-6);
  const legend = view.legend.style.display === 'none' ? 0 : view.legend.offsetWidth + 16;
  const share = Math.min(0.4, legend / Math.max(1, view.stage.clientWidth));
  const width = (x1 - x0 + 2 * pad) / (1 - share);
  view.plot.zoomToArea({ x: x0 - pad, y: y0 - pad, width, height: y1 - y0 + 2 * pad });
}

// Select view.selection on the plot without reporting it back (it came from Python).
function showSelection(view) {
  if (view.selection.length) view.plot.select(view.selection, { preventEvent: true });
  else view.plot.deselect({ preventEvent: true });
  applyHide(view);
}

// A clicked point (the whole selection) and its highlighted neighbours are drawn bright, not dimmed with the rest;
// the selection that Python and the count see stays the one point.
function brightenFocus(view) {
  if (view.focus < 0 || view.selection.length !== 1 || view.selection[0] !== view.focus || !view.highlight.length) return;
  const shown = [view.focus, ...view.highlight.filter((i) => i < view.n && i !== view.focus)];
  view.plot.select(shown, { preventEvent: true });
}

function applyHide(view) {
  if (!view.x) return;
  if (view.hide.checked && view.selection.length) view.plot.filter(view.selection, { preventEvent: true });
  else if (view.plot.get('isPointsFiltered')) view.plot.unfilter({ preventEvent: true });
}

function updateCount(view) {
  const n = view.n.toLocaleString('en-US');
  const s = view.selection.length;
  view.count.textContent = s ? `${s.toLocaleString('en-US')} of ${n} points selected` : `${n} points`;
  view.root.dataset.selected = String(s);
}

function drawRings(view) {
  drawLabels(view);
  const svg = view.rings;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  svg.dataset.rings = '0';
  if ((!view.highlight.length && view.focus < 0) || !view.plot.get('isPointsDrawn')) return;
  const ring = (i, colour, r, width) => {
    const p = Number.isInteger(i) && i >= 0 && i < view.n ? view.plot.getScreenPosition(i) : undefined;
    if (!p) return;
    const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    c.setAttribute('cx', p[0]);
    c.setAttribute('cy', p[1]);
    c.setAttribute('r', r);
    c.setAttribute('fill', 'none');
    c.setAttribute('stroke', colour);
    c.setAttribute('stroke-width', width);
    c.dataset.index = String(i);
    svg.appendChild(c);
  };
  view.highlight.forEach((i) => ring(i, '#ff2b2b', 7, 2));
  ring(view.focus, '#111', 9, 3);
  svg.dataset.rings = String(svg.childNodes.length);
}

// Texts placed at points (clusters' keywords at their centres), redrawn with the view. Users' words, so set
// as textContent: markup in them is shown, never run.
function drawLabels(view) {
  const layer = view.labelLayer;
  if (view.labels.some((l) => Number.isFinite(l.x))) { // placed in Python away from dense points, leaders to anchors
    if (!view.names.checked || !view.plot.get('isPointsDrawn')) {
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      return;
    }
    if (!view.mapping || view.mapping.x !== view.x) view.mapping = { x: view.x, at: screenMapping(view.plot, view.x, view.y) };
    const place = (i) => (Number.isInteger(i) && i >= 0 && i < view.n ? view.plot.getScreenPosition(i) : undefined);
    drawPlacedLabels(layer, view.labels, place, view.mapping.at && view.mapping.at());
    return;
  }
  while (layer.firstChild) layer.removeChild(layer.firstChild);
  if (!view.labels.length || !view.names.checked || !view.plot.get('isPointsDrawn')) return;
  view.labels.forEach(({ i, text }) => {
    const p = Number.isInteger(i) && i >= 0 && i < view.n ? view.plot.getScreenPosition(i) : undefined;
    if (!p) return;
    const node = el('div', { text: String(text ?? '') }, layer);
    node.style.left = `${p[0]}px`;
    node.style.top = `${p[1]}px`;
  });
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
}

function drawLegend(view) {
  const spec = view.legendSpec;
  const box = view.legend;
  const key = JSON.stringify([spec, view.palette]);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  if (!spec) {
    box.style.display = 'none';
    return;
  }
  box.style.display = '';
  const title = `<b>${escapeHtml(spec.title || '')}</b>`;
  if (spec.kind === 'categorical') {
    const rows = spec.names.map((name, k) => `<div><span class="sw" style="background:${view.palette[k]}"></span>${escapeHtml(name)}</div>`);
    box.innerHTML = title + rows.join('');
  } else {
    const stops = view.palette.slice(0, 255);
    const gradient = `linear-gradient(to top, ${stops.filter((_, k) => k % 16 === 0 || k === stops.length - 1).join(', ')})`;
    box.innerHTML = `${title}<div class="scale"><div class="bar" style="background:${gradient}"></div>`
      + `<div class="ticks"><span>${escapeHtml(spec.max)}</span><span>${escapeHtml(spec.min)}</span></div></div>`;
  }
}

function colourText(view, i) {
  const spec = view.legendSpec;
  if (!spec || !view.z || spec.title === 'label') return '';  // the label comes with the item's details
  const c = view.z[i];
  if (spec.kind === 'categorical') return `${escapeHtml(spec.title)}: ${escapeHtml(spec.names[c] ?? '')}`;
  if (c >= 255) return `${escapeHtml(spec.title)}: missing`;
  const value = spec.lo + ((c + 0.5) / 255) * (spec.hi - spec.lo);
  return `${escapeHtml(spec.title)}: ≈${value.toPrecision(3)}`;
}

function showTip(view, i) {
  view.hovered = i;
  const items = view.items;
  const head = `<b>#${i}</b>`;
  const colour = colourText(view, i);
  const picture = items && items.image ? `<img alt="" src="${items.base}/${i}.png">` : '';
  view.tip.innerHTML = `${head}<div class="ll-info"></div><div>${colour}</div>${picture}`;
  const img = view.tip.querySelector('img');
  if (img) img.addEventListener('error', () => img.remove());
  view.tip.style.display = 'block';
  view.tip.dataset.index = String(i);
  placeTip(view);
  if (!items) return;
  const cached = view.infoCache.get(i);
  const fill = (info) => {
    if (view.hovered !== i) return;
    const slot = view.tip.querySelector('.ll-info');
    if (!slot || !info) return;
    const parts = [];
    if (info.label !== undefined && info.label !== null) parts.push(`<div>${escapeHtml(info.label_name)}: ${escapeHtml(info.label)}</div>`);
    if (info.features && info.features.length) {
      parts.push(`<table>${info.features.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`);
    }
    if (info.picture) parts.push(`<img alt="" src="${escapeHtml(info.picture)}">`);
    slot.innerHTML = parts.join('');
    placeTip(view);
  };
  if (cached) fill(cached);
  else {
    (items.fetch || fetch)(`${items.base}/${i}.json`)
      .then((r) => (r.ok ? r.json() : null))
      .then((info) => {
        if (info) view.infoCache.set(i, info);
        fill(info);
      })
      .catch(() => {});
  }
}

function placeTip(view) {
  const tip = view.tip;
  const [mx, my] = view.mouse;
  const w = view.stage.clientWidth;
  const h = view.stage.clientHeight;
  const tw = tip.offsetWidth;
  const th = tip.offsetHeight;
  tip.style.left = `${mx + 14 + tw > w ? Math.max(0, mx - 14 - tw) : mx + 14}px`;
  tip.style.top = `${my + 14 + th > h ? Math.max(0, my - 14 - th) : my + 14}px`;
}

function hideTip(view) {
  view.hovered = -1;
  view.tip.style.display = 'none';
}

function toBase64(bytes) {
  let s = '';
  const chunk = 0x8000;
  for (let k = 0; k < bytes.length; k += chunk) s += String.fromCharCode.apply(null, bytes.subarray(k, k + chunk));
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text || '');
  const bytes = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) bytes[k] = s.charCodeAt(k);
  return bytes;
}

// The indices in a packed selection (the inverse of packSelection), ascending.
function unpackSelection(packed) {
  if (!packed || !packed.n) return [];
  const bytes = fromBase64(packed.b64);
  if (packed.enc === 'bits') {
    const out = [];
    for (let i = 0; i < packed.total; i++) if (bytes[i >> 3] & (1 << (i & 7))) out.push(i);
    return out;
  }
  return Array.from(new Uint32Array(bytes.buffer, 0, bytes.length >> 2));
}

// The sorted selection as little-endian uint32 indices, or as a bitmask when that is smaller.
function packSelection(selection, total) {
  const n = selection.length;
  if (!n) return { n: 0, total, enc: 'idx', b64: '' };
  if (n * 4 <= Math.ceil(total / 8)) {
    const idx = Uint32Array.from(selection);
    return { n, total, enc: 'idx', b64: toBase64(new Uint8Array(idx.buffer)) };
  }
  const bits = new Uint8Array(Math.ceil(total / 8));
  for (const i of selection) bits[i >> 3] |= 1 << (i & 7);
  return { n, total, enc: 'bits', b64: toBase64(bits) };
}
