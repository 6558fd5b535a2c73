import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Two pages: index.html is the app, runner.html is the headless training page that
// scripts/train.ts drives in Chromium.
export default defineConfig({
  plugins: [react()],
  build: {
    rolldownOptions: {
      input: { main: 'index.html', runner: 'runner.html' },
    },
  },
});
