import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        // Pure logic, Durable Objects and routes, inside workerd.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            // Delay levels short enough to wait for (18 of them, as RocketMQ's; level n is n × 200 ms).
            miniflare: {
              bindings: {
                MESSAGE_DELAY_LEVEL: '200ms 400ms 600ms 800ms 1s 1200ms 1400ms 1600ms 1800ms 2s 2200ms 2400ms 2600ms 2800ms 3s 3200ms 3400ms 3600ms',
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/core/**/*.test.ts', 'test/workers/**/*.test.ts', 'test/sdk/**/*.test.ts'],
        },
      },
      {
        // Checks that need Node but no server (docs against code).
        test: { name: 'node', include: ['test/node/**/*.test.ts'], environment: 'node' },
      },
      {
        // End to end: the real local server (wrangler dev) driven over HTTP.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
