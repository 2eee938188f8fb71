// esbuild options for the notebook widget's bundle (src/widget.js around src/map.js), shipped as
// latentlab/widgets/assets/widget.js; shared by build.mjs and the test that checks the shipped file.
import options from './build-options.mjs';

export default {
  ...options,
  entryPoints: ['src/widget.js'],
  outfile: '../latentlab/widgets/assets/widget.js',
  banner: { js: '// LatentLab notebook map widget. Built from frontend/ (npm ci && npm run build); do not edit.' },
};
