// Bundles src/map.js and its npm dependencies (pinned in package-lock.json) into one ES module
// shipped inside the Python package. Run `npm ci && npm run build` here; CI checks the result is current.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/map.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  legalComments: 'eof',
  outfile: '../latentlab/ui/assets/map.js',
  banner: { js: '// LatentLab map component. Built from frontend/ (npm ci && npm run build); do not edit.' },
  logLevel: 'info',
});
