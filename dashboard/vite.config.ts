import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [vue()],
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  build: {
    manifest: true,
    target: 'es2022',
    // No module-preload polyfill: it is an inline-free script, but every browser we support has it.
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
  },
});
