// Bundles web_page.mjs (the web SDK and its OFREP provider) into one script a browser
// loads, with esbuild's API (whether or not esbuild's install script placed its native
// binary). Usage: node build_page.mjs OUTFILE
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('./web_page.mjs', import.meta.url).pathname],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  outfile: process.argv[2],
  logLevel: 'warning',
});
