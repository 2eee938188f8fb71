// Bundles src/map.js and its npm dependencies (pinned in package-lock.json) into one ES module
// shipped inside the Python package: `npm ci && npm run build` here.
import { build } from 'esbuild';
import options from './build-options.mjs';
import shareOptions from './src/share-options.mjs';
import sliders from './sliders-options.mjs';
import widget from './widget-options.mjs';

await build({ ...options, logLevel: 'info' });
await build({ ...shareOptions, logLevel: 'info' });
await build({ ...widget, logLevel: 'info' });
await build({ ...sliders, logLevel: 'info' });
