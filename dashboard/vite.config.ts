import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Where `npm start` runs the API (its `.local/stack.json`), for the dev server's proxy. */
function localApi(): string {
  try {
    const stack = JSON.parse(readFileSync(new URL('../.local/stack.json', import.meta.url), 'utf8')) as {
      api?: string;
    };
    return stack.api ?? 'http://127.0.0.1:3000';
  } catch {
    return 'http://127.0.0.1:3000';
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // The client's `verifyWebhook` needs node:crypto; it runs on merchants' servers, never here.
  resolve: {
    alias: { 'node:crypto': fileURLToPath(new URL('src/server-only.ts', import.meta.url)) },
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  // `npm run dev:dashboard`: hot reload on 127.0.0.1, the API proxied so the origin stays one.
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/v1': { target: localApi(), changeOrigin: false } },
  },
});
