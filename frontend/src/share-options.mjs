// esbuild options for the shared HTML map's bundle (src/share.js), inlined into each file that
// latentlab/figures/share.py writes.
export default {
  entryPoints: ['src/share.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  legalComments: 'eof',
  outfile: '../latentlab/figures/assets/share.js',
  banner: { js: '// LatentLab shared map. Built from frontend/ (npm ci && npm run build); do not edit.' },
};
