// LatentLab's map as a Jupyter widget (anywidget): the dashboard's map (map.js) fed from the widget's traits.
//
// Python (latentlab/widgets/map_widget.py) syncs:
//   _points      bytes: uint16 x (N values) then uint16 y, the map's [-1, 1] square in 65,535 steps
//   _n           the number of points
//   _colour      bytes: one code per point, uint8 (uint16 when _colour_wide); _palette, _legend as the map's
//   _pictures    hover shows a picture; _point_size, height
//   selection    bytes both ways: the selected rows as sorted little-endian uint32
// and answers the custom message {type: "item", i} with {type: "item", i, info} and a PNG buffer (the hover).
// A new colouring sends only _colour (and its palette and legend): the points and their spatial index stay.

import map from './map.js';

const models = new WeakMap(); // model -> {id, points, colour}: content versions shared by the model's views
let nextId = 0;

function bytesOf(value) {
  if (!value) return new Uint8Array(0);
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(0);
}

function aligned(bytes, Type) {
  const copy = bytes.byteOffset % Type.BYTES_PER_ELEMENT ? bytes.slice() : bytes;
  return new Type(copy.buffer, copy.byteOffset, copy.byteLength / Type.BYTES_PER_ELEMENT);
}

// The positions as the map takes them: x and y in uint16 steps across its [-1, 1] square.
function positions(model) {
  const n = model.get('_n');
  const q = aligned(bytesOf(model.get('_points')), Uint16Array);
  return { qx: q.subarray(0, n), qy: q.subarray(n, 2 * n) };
}

function codes(model) {
  const bytes = bytesOf(model.get('_colour'));
  return model.get('_colour_wide') ? aligned(bytes, Uint16Array) : bytes.slice();
}

const table = (columns) => ({ getChild: (name) => (columns[name] ? { toArray: () => columns[name] } : null) });

function toBase64(bytes) {
  let s = '';
  for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(k, k + 0x8000));
  return btoa(s);
}

// The rows in the map's packed selection ({n, total, enc, b64}), as uint32.
function unpack(packed) {
  if (!packed || !packed.n) return new Uint32Array(0);
  const s = atob(packed.b64 || '');
  const bytes = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) bytes[k] = s.charCodeAt(k);
  if (packed.enc !== 'bits') return new Uint32Array(bytes.buffer, 0, bytes.length >> 2);
  const out = new Uint32Array(packed.n);
  let m = 0;
  for (let i = 0; i < packed.total && m < packed.n; i++) if (bytes[i >> 3] & (1 << (i & 7))) out[m++] = i;
  return out;
}

function same(a, b) {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function render({ model, el }) {
  if (!models.has(model)) models.set(model, { id: `w${nextId++}`, points: 0, colour: 0 });
  const versions = models.get(model);
  const parentElement = document.createElement('div');
  el.appendChild(parentElement);
  const waiting = new Map(); // row -> resolve, for hover details asked of the kernel
  const pictures = new Map(); // row -> object URL of its PNG
  let shown = new Uint32Array(0); // the selection this view last showed or sent
  let selectedKey = 0;

  const load = (url) => {
    const i = Number(String(url).split('/').pop().split('.')[0]);
    return new Promise((resolve) => {
      waiting.set(i, resolve);
      model.send({ type: 'item', i });
    }).then((info) => ({ ok: !!info, json: () => Promise.resolve(info) }));
  };
  const onMessage = (msg, buffers) => {
    if (!msg || msg.type !== 'item' || !waiting.has(msg.i)) return;
    const info = { ...msg.info };
    if (buffers && buffers.length) {
      if (!pictures.has(msg.i)) pictures.set(msg.i, URL.createObjectURL(new Blob([bytesOf(buffers[0])], { type: 'image/png' })));
      info.picture = pictures.get(msg.i);
    }
    waiting.get(msg.i)(info);
    waiting.delete(msg.i);
  };

  const component = {
    parentElement,
    data: null,
    setStateValue: () => {},
    setTriggerValue: (name, packed) => {
      if (name !== 'selection') return;
      const rows = unpack(packed);
      if (same(rows, shown)) return;
      shown = Uint32Array.from(rows);
      model.set('selection', new DataView(shown.buffer));
      model.save_changes();
    },
  };
  // Every call passes the map's settings; the point and colour tables only when they changed.
  const draw = ({ points = false, colour = false, selection = false } = {}) => {
    const data = {
      pointsKey: `${versions.id}-p${versions.points}`,
      colourKey: `${versions.id}-c${versions.colour}`,
      palette: model.get('_palette'),
      legend: model.get('_legend'),
      items: { base: versions.id, image: false, fetch: load },
      height: model.get('height'),
      pointSize: model.get('_point_size'),
      selectable: true,
    };
    if (points) data.points = table(positions(model));
    if (colour) data.colour = table({ c: codes(model) });
    if (selection) {
      const rows = aligned(bytesOf(model.get('selection')), Uint32Array);
      if (!same(rows, shown) || points) {
        shown = Uint32Array.from(rows);
        data.selected = { key: `${versions.id}-s${selectedKey++}`, n: shown.length, total: model.get('_n'), enc: 'idx',
          b64: toBase64(new Uint8Array(shown.buffer)) };
      }
    }
    component.data = data;
    return map(component);
  };

  const onPoints = () => { versions.points++; draw({ points: true, colour: true, selection: true }); };
  const onColour = () => { versions.colour++; draw({ colour: true }); };
  const onSelection = () => draw({ selection: true });
  const onSettings = () => draw();
  model.on('change:_points', onPoints);
  model.on('change:_colour', onColour);
  model.on('change:selection', onSelection);
  model.on('change:_palette change:_legend change:height change:_point_size', onSettings);
  model.on('msg:custom', onMessage);
  const cleanup = draw({ points: true, colour: true, selection: true });
  return () => {
    model.off('change:_points', onPoints);
    model.off('change:_colour', onColour);
    model.off('change:selection', onSelection);
    model.off('change:_palette change:_legend change:height change:_point_size', onSettings);
    model.off('msg:custom', onMessage);
    pictures.forEach((u) => URL.revokeObjectURL(u));
    if (typeof cleanup === 'function') cleanup();
  };
}

export default { render };
