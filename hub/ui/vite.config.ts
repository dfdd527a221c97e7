import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The hub dashboard: Preact compiled by Vite's own esbuild JSX transform (no Babel), built to hub/ui/dist, which the
 * hub serves at `/`. `npm run dev:ui` serves it with hot reload and proxies /api to a hub on :8080.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': { target: process.env.HUB_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } } },
});
