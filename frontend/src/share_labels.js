// Cluster names placed by Python (latentlab/figures/labels.py) in the map's normalised coordinates, drawn over a
// regl-scatterplot at the view's scale: shared by the dashboard's map (map.js) and the shared HTML map (share.js).
// A label is {i, text, x?, y?, leader?}: at (x, y) when given, else at point i; `leader` joins it to point i.
// Texts are set as textContent, never parsed as HTML.

// A map from normalised coordinates to the stage's pixels, read from two points the plot places (the camera
// scales and pans without rotation): null until the points are drawn.
export function screenMapping(plot, xs, ys) {
  const n = xs ? xs.length : 0;
  if (!n) return null;
  let ix0 = 0, ix1 = 0, iy0 = 0, iy1 = 0;
  for (let i = 1; i < n; i++) {
    if (xs[i] < xs[ix0]) ix0 = i;
    if (xs[i] > xs[ix1]) ix1 = i;
    if (ys[i] < ys[iy0]) iy0 = i;
    if (ys[i] > ys[iy1]) iy1 = i;
  }
  return () => {
    const a = plot.getScreenPosition(ix0), b = plot.getScreenPosition(ix1);
    const c = plot.getScreenPosition(iy0), d = plot.getScreenPosition(iy1);
    if (!a || !b || !c || !d) return null;
    const sx = xs[ix1] > xs[ix0] ? (b[0] - a[0]) / (xs[ix1] - xs[ix0]) : 1;
    const sy = ys[iy1] > ys[iy0] ? (d[1] - c[1]) / (ys[iy1] - ys[iy0]) : -1;
    return (x, y) => [a[0] + (x - xs[ix0]) * sx, c[1] + (y - ys[iy0]) * sy];
  };
}

function lineTo(svg, x1, y1, x2, y2) {
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  Object.entries({ x1, y1, x2, y2, stroke: '#333', 'stroke-width': 0.8, 'stroke-opacity': 0.8 })
    .forEach(([k, v]) => line.setAttribute(k, v));
  svg.appendChild(line);
}

// Draw `labels` into `layer` (a positioned div over the canvas); `place(i)` gives point i's pixels.
export function drawPlacedLabels(layer, labels, place, toScreen) {
  while (layer.firstChild) layer.removeChild(layer.firstChild);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('style', 'position:absolute;left:0;top:0;width:100%;height:100%;overflow:visible');
  layer.appendChild(svg);
  let shown = 0;
  labels.forEach((label) => {
    const anchor = place(label.i);
    const at = Number.isFinite(label.x) && toScreen ? toScreen(label.x, label.y) : anchor;
    if (!at) return;
    if (label.leader && anchor) lineTo(svg, anchor[0], anchor[1], at[0], at[1]);
    const node = document.createElement('div');
    node.textContent = String(label.text ?? '');
    node.style.left = `${at[0]}px`;
    node.style.top = `${at[1]}px`;
    layer.appendChild(node);
    shown += 1;
  });
  layer.dataset.labels = String(shown);
}
