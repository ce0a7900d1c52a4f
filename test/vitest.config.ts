import { defineConfig } from 'vitest/config';
import { CONNECTION_FILE, fixPostgresConnection } from '../bin/postgres-fix.mjs';

export default defineConfig({
  // The tests run postgres.js as the bundle does: with its stale-write fix (bin/postgres-fix.mjs).
  plugins: [{ name: 'fix-postgres', transform: (code, id) => (CONNECTION_FILE.test(id.split('?')[0]!) ? fixPostgresConnection(code, id) : undefined) }],
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default'] : ['default'],
    server: { deps: { inline: [/[\\/]node_modules[\\/]postgres[\\/]/] } },
  },
});
