import { defineConfig } from 'vitest/config';
import { DEFAULT_PORT } from './shared/signaling.ts';

// One config for the page build (client/ → dist/) and for every test project.
export default defineConfig({
  root: 'client',
  publicDir: false,
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
  server: {
    host: '0.0.0.0',
    proxy: { '/ws': { target: `ws://127.0.0.1:${DEFAULT_PORT}`, ws: true } },
  },
  test: {
    root: '.',
    projects: [
      {
        extends: true,
        // Property and engine tests run for seconds on 2 loaded cores: the limit only stops a hung test.
        test: { name: 'unit', root: '.', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
      {
        extends: true,
        // Some start several server processes (tsx compiles each): 20 s ran out on a loaded machine.
        test: { name: 'server', root: '.', include: ['test/server/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          root: '.',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // expect.poll waits here for a page or the server (a render, a reply), each read a browser round trip that
          // can take over a second on 2 loaded cores: vitest's 1 s default would fail a slow machine, not a bug.
          // As long as Playwright's own waits (30 s); an event that never comes still fails the test.
          expect: { poll: { timeout: 30_000 } },
        },
      },
    ],
  },
});
