// vitest: Node tests on WebGPU through Dawn (SwiftShader where there is no GPU). Browser checks
// live in tests/browser/ and drive headless Chromium with puppeteer from inside a Node test.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
