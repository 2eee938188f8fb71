// A regl-scatterplot renderer the size of one map's canvas.
//
// Left to itself, regl-scatterplot gives each map a renderer as large as the whole window: every frame is drawn
// into a float framebuffer of the window's size, tone-mapped onto a canvas of that size and the map's part copied
// out of it. With software WebGL (a machine without a GPU) each of those steps costs in proportion to the pixels,
// so a 1,140 x 620 map in a 1,600 x 1,000 window paid for 2.3 times the pixels it shows on every frame: its
// first picture, every pan, zoom and hover. Sized to the map, the renderer draws only what is shown.
import { createRenderer } from 'regl-scatterplot';

export function stageRenderer(width, height) {
  const renderer = createRenderer({ canvas: document.createElement('canvas') });
  resizeRenderer(renderer, width, height);
  return renderer;
}

// Call before the plot's own `set({ width, height })`: the renderer must never be smaller than the map's canvas.
export function resizeRenderer(renderer, width, height) {
  renderer.resize(width, height);
  renderer.refresh();
}
