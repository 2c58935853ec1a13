import path from 'node:path';
// Loaded by Vite only (the root tsconfig leaves it out: its `moduleResolution: node`
// cannot see these ESM-only packages' types). An ES module (.mts), as Vite's config loader
// expects: a .ts file here would be loaded as CommonJS, which Vite warns about on every build.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard is a static single-page app served by the API at `/`. Routing is
// hash based (`#/webhooks/...`), so the API only has to serve index.html and the
// hashed files under /assets/.
const webRoot: string = import.meta.dirname;

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  publicDir: false,
  build: {
    outDir: path.join(webRoot, 'dist'),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
});
