// esbuild options for the map bundle (shared by build.mjs and the test that checks the shipped file).
export default {
  entryPoints: ['src/map.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  legalComments: 'eof',
  outfile: '../latentlab/ui/assets/map.js',
  banner: { js: '// LatentLab map component. Built from frontend/ (npm ci && npm run build); do not edit.' },
};
