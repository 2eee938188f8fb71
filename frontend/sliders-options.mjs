// esbuild options for the Traverse page's sliders (src/sliders.js), shipped as latentlab/ui/assets/sliders.js;
// shared by build.mjs and the test that checks the shipped file.
import options from './build-options.mjs';

export default {
  ...options,
  entryPoints: ['src/sliders.js'],
  outfile: '../latentlab/ui/assets/sliders.js',
  banner: { js: '// LatentLab traversal sliders component. Built from frontend/ (npm ci && npm run build); do not edit.' },
};
