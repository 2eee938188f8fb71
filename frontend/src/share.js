// LatentLab's shared map: one HTML file that opens from disk (file://) with no server and no network.
//
// latentlab/figures/share.py writes the page: this bundle inline, `#ll-meta` (JSON: n, title, colourings
// [{name, kind, names | lo/hi, palette, seg, bytes}], labels [{i, text, x, y, leader}], texts, thumbs
// {n, h, w, c, seg}) and one `script[data-seg]` per binary segment (base64 of zlib-deflated little-endian
// arrays): "xy" (uint16 x then uint16 y, over [-1, 1]), one per colouring (uint8 or uint16 codes), "texts"
// (uint32 offsets then UTF-8), "thumbs" (uint8 pixels). The page reports what it drew in the root's
// data-drawn (the number of points) and the search's and lasso's counts in data-selected.

import createScatterplot from 'regl-scatterplot';
import { resizeRenderer, stageRenderer } from './stage_renderer.js';
import { drawPlacedLabels, screenMapping } from './share_labels.js';

const $ = (sel) => document.querySelector(sel);

async function segment(name) {
  const node = document.querySelector(`script[data-seg="${name}"]`);
  if (!node) return null;
  const text = atob(node.textContent.trim());
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function codesOf(bytes, wide) {
  return wide ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1) : bytes;
}

async function load(meta) {
  const xy = await segment('xy');
  const q = new Uint16Array(xy.buffer, xy.byteOffset, meta.n * 2);
  const x = new Float32Array(meta.n), y = new Float32Array(meta.n);
  for (let i = 0; i < meta.n; i++) {
    x[i] = (q[i] / 65535) * 2 - 1;
    y[i] = (q[meta.n + i] / 65535) * 2 - 1;
  }
  for (const c of meta.colourings) c.codes = codesOf(await segment(c.seg), c.bytes === 2);
  let texts = null;
  if (meta.texts) {
    const raw = await segment('texts');
    const offsets = new Uint32Array(raw.buffer, raw.byteOffset, meta.n + 1);
    const body = raw.subarray((meta.n + 1) * 4);
    const decoder = new TextDecoder();
    texts = (i) => decoder.decode(body.subarray(offsets[i], offsets[i + 1]));
  }
  const thumbs = meta.thumbs ? await segment('thumbs') : null;
  return { x, y, texts, thumbs };
}

function valueText(c, code) {
  if (c.kind === 'categorical') return c.names[code] ?? '';
  if (code >= 255) return 'missing';
  return `≈${(c.lo + ((code + 0.5) / 255) * (c.hi - c.lo)).toPrecision(3)}`;
}

function drawLegend(box, c) {
  box.textContent = '';
  const head = document.createElement('b');
  head.textContent = c.name;
  box.appendChild(head);
  if (c.kind === 'categorical') {
    c.names.slice(0, 40).forEach((name, k) => {
      const row = document.createElement('div');
      const sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.background = c.palette[k % c.palette.length];
      row.append(sw, document.createTextNode(name));
      box.appendChild(row);
    });
    if (c.names.length > 40) box.appendChild(document.createTextNode(`… ${c.names.length - 40} more`));
  } else {
    const row = document.createElement('div');
    row.textContent = `${c.lo.toPrecision(3)} … ${c.hi.toPrecision(3)}`;
    row.style.background = `linear-gradient(to right, ${c.palette.filter((_, k) => k % 32 === 0).join(',')})`;
    row.style.color = '#fff';
    box.appendChild(row);
  }
}

function thumbnail(meta, thumbs, i) {
  const t = meta.thumbs;
  if (!thumbs || i >= t.n) return null;
  const canvas = document.createElement('canvas');
  canvas.width = t.w;
  canvas.height = t.h;
  const img = canvas.getContext('2d').createImageData(t.w, t.h);
  const size = t.w * t.h * t.c;
  for (let p = 0; p < t.w * t.h; p++) {
    const base = i * size + p * t.c;
    img.data[p * 4] = thumbs[base];
    img.data[p * 4 + 1] = thumbs[base + (t.c > 1 ? 1 : 0)];
    img.data[p * 4 + 2] = thumbs[base + (t.c > 2 ? 2 : 0)];
    img.data[p * 4 + 3] = 255;
  }
  canvas.getContext('2d').putImageData(img, 0, 0);
  return canvas;
}

function summary(meta, rows, colour) {
  const c = meta.colourings.find((k) => k.kind === 'categorical') || colour;
  const counts = new Map();
  rows.forEach((i) => { const v = valueText(c, c.codes[i]); counts.set(v, (counts.get(v) || 0) + 1); });
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return { title: c.name, top };
}

async function main() {
  const meta = JSON.parse($('#ll-meta').textContent);
  const root = $('#ll-root');
  const data = await load(meta);
  const canvas = $('#ll-canvas');
  const stage = $('#ll-stage');
  const renderer = stageRenderer(stage.clientWidth, stage.clientHeight);
  const plot = createScatterplot({
    canvas, renderer, width: stage.clientWidth, height: stage.clientHeight, pointSize: meta.pointSize, colorBy: 'valueA',
    backgroundColor: [1, 1, 1, 1], pointColorActive: [0, 0, 0, 1], opacityInactiveScale: 0.25, pointSizeSelected: 1,
    lassoColor: [0.1, 0.4, 0.9, 1], lassoMinDelay: 0, lassoMinDist: 1, mouseMode: 'lasso', lassoClearEvent: 'lassoEnd',
    deselectOnDblClick: true, deselectOnEscape: true, spatialIndexUseWorker: false,
  });
  let colour = meta.colourings[0];
  const select = $('#ll-colour');
  meta.colourings.forEach((c, k) => select.appendChild(new Option(c.name, String(k))));
  const draw = async () => {
    plot.set({ pointColor: colour.palette });
    await plot.draw({ x: data.x, y: data.y, z: colour.codes }, { zDataType: 'categorical' });
    drawLegend($('#ll-legend'), colour);
  };
  select.addEventListener('change', async () => { colour = meta.colourings[Number(select.value)]; await draw(); });
  await draw();
  const mapping = screenMapping(plot, data.x, data.y);
  const place = (i) => (i >= 0 && i < meta.n ? plot.getScreenPosition(i) : null);
  const redrawLabels = () => drawPlacedLabels($('#ll-labels'), $('#ll-names').checked ? meta.labels : [], place, mapping());
  plot.subscribe('view', redrawLabels);
  $('#ll-names').addEventListener('change', redrawLabels);
  redrawLabels();

  const count = $('#ll-count');
  const showSelection = (rows) => {
    root.dataset.selected = String(rows.length);
    count.textContent = rows.length ? `${rows.length.toLocaleString('en-US')} of ${meta.n.toLocaleString('en-US')} points selected`
      : `${meta.n.toLocaleString('en-US')} points`;
    const panel = $('#ll-selection');
    panel.textContent = '';
    if (!rows.length) return;
    const s = summary(meta, rows, colour);
    const head = document.createElement('b');
    head.textContent = `${rows.length.toLocaleString('en-US')} selected, by ${s.title}`;
    panel.appendChild(head);
    s.top.forEach(([name, k]) => { const d = document.createElement('div'); d.textContent = `${name}: ${k.toLocaleString('en-US')}`; panel.appendChild(d); });
    const list = document.createElement('div');
    list.className = 'rows';
    rows.slice(0, 20).forEach((i) => {
      const d = document.createElement('div');
      const words = data.texts ? ` ${data.texts(i).slice(0, 80)}` : '';
      d.textContent = `#${i} ${meta.colourings.map((c) => `${c.name} ${valueText(c, c.codes[i])}`).join(' · ')}${words}`;
      list.appendChild(d);
    });
    panel.appendChild(list);
  };
  plot.subscribe('select', ({ points }) => showSelection(Array.from(points)));
  plot.subscribe('deselect', () => showSelection([]));

  $('#ll-search').addEventListener('input', (e) => {
    const q = e.target.value.trim().toLowerCase();
    if (!q) { plot.deselect(); return; }
    const hits = [];
    const matching = meta.colourings.filter((c) => c.kind === 'categorical')
      .map((c) => [c, new Set(c.names.map((name, k) => (name.toLowerCase().includes(q) ? k : -1)).filter((k) => k >= 0))]);
    const named = new Set(meta.labels.filter((l) => String(l.text).toLowerCase().includes(q)).map((l) => l.cluster));
    const clusterColouring = meta.colourings.find((c) => c.name === 'cluster');
    for (let i = 0; i < meta.n; i++) {
      let hit = matching.some(([c, set]) => set.has(c.codes[i]));
      if (!hit && named.size && clusterColouring) hit = named.has(Number(clusterColouring.names[clusterColouring.codes[i]]));
      if (!hit && data.texts) hit = data.texts(i).toLowerCase().includes(q);
      if (hit) hits.push(i);
    }
    if (hits.length) plot.select(hits); else { plot.deselect(); showSelection([]); }
  });

  const tip = $('#ll-tip');
  let mouse = [0, 0];
  canvas.addEventListener('mousemove', (e) => {
    const r = stage.getBoundingClientRect();
    mouse = [e.clientX - r.left, e.clientY - r.top];
    tip.style.left = `${mouse[0] + 14}px`;
    tip.style.top = `${mouse[1] + 14}px`;
  });
  plot.subscribe('pointOver', (i) => {
    tip.textContent = '';
    const head = document.createElement('b');
    head.textContent = `#${i}`;
    tip.appendChild(head);
    meta.colourings.forEach((c) => { const d = document.createElement('div'); d.textContent = `${c.name}: ${valueText(c, c.codes[i])}`; tip.appendChild(d); });
    if (data.texts) { const d = document.createElement('div'); d.className = 'text'; d.textContent = data.texts(i).slice(0, 300); tip.appendChild(d); }
    const picture = thumbnail(meta, data.thumbs, i);
    if (picture) tip.appendChild(picture);
    tip.style.display = 'block';
  });
  plot.subscribe('pointOut', () => { tip.style.display = 'none'; });
  const modes = { lasso: $('#ll-lasso'), pan: $('#ll-pan') };
  const setMode = (m) => {
    Object.entries(modes).forEach(([k, b]) => b.setAttribute('aria-pressed', String(k === m)));
    plot.set({ mouseMode: m === 'pan' ? 'panZoom' : 'lasso' });
  };
  modes.lasso.addEventListener('click', () => setMode('lasso'));
  modes.pan.addEventListener('click', () => setMode('pan'));
  setMode('lasso');
  $('#ll-reset').addEventListener('click', () => plot.reset());
  new ResizeObserver(() => {
    resizeRenderer(renderer, stage.clientWidth, stage.clientHeight);
    plot.set({ width: stage.clientWidth, height: stage.clientHeight });
    redrawLabels();
  }).observe(stage);
  showSelection([]);
  root.dataset.drawn = String(meta.n);
}

main().catch((err) => {
  document.body.dataset.error = String(err);
  console.error('LatentLab shared map:', err);
});
