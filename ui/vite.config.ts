import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `base: './'` keeps asset URLs relative, so the same bundle works when the daemon serves it at
// `/` and when Tauri loads it from its custom protocol.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `npm run dev` proxies the API to a daemon started with `refine --serve --port 7878`.
    proxy: {
      '/api': { target: 'http://127.0.0.1:7878', changeOrigin: false, ws: true },
    },
  },
});
