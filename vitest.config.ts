import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { configDefaults, defineConfig } from 'vitest/config';

/** Delay levels short enough to wait for (18 of them, as RocketMQ's; level n is n × 200 ms). */
const TEST_DELAY_LEVELS =
  '200ms 400ms 600ms 800ms 1s 1200ms 1400ms 1600ms 1800ms 2s 2200ms 2400ms 2600ms 2800ms 3s 3200ms 3400ms 3600ms';

/** Tests that need the high-availability layout (the `workers-ha` project). */
const HA_TESTS = [
  'test/workers/replication.test.ts',
  'test/workers/retention.test.ts',
  'test/workers/flush.test.ts',
  'test/workers/replica-consistency.test.ts',
  'test/workers/replica-state.test.ts',
  'test/workers/ha-logs.test.ts',
];

/**
 * The high-availability layout: broker-a a SYNC_MASTER and broker-b an
 * ASYNC_MASTER, each with one slave in another region; three NameServers; a
 * 256 KiB storage cap per queue object, so that retention by size can be seen;
 * broker-b's retention hour is every hour, so that a test can run it now;
 * broker-b's master is ASYNC_FLUSH, holding sends a minute unless a read comes
 * first, so that a test can see what it holds.
 */
const EVERY_HOUR = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')).join(';');
const HA_BROKERS = [
  { brokerName: 'broker-a', brokerId: 0, brokerRole: 'SYNC_MASTER', region: 'wnam' },
  { brokerName: 'broker-a', brokerId: 1, brokerRole: 'SLAVE', region: 'weur' },
  {
    brokerName: 'broker-b',
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    flushDiskType: 'ASYNC_FLUSH',
    region: 'enam',
    deleteWhen: EVERY_HOUR,
  },
  { brokerName: 'broker-b', brokerId: 1, brokerRole: 'SLAVE', region: 'apac', deleteWhen: EVERY_HOUR },
];

export default defineConfig({
  test: {
    projects: [
      {
        // Pure logic, Durable Objects and routes, inside workerd.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // FLAREMQ_MODE=development: no accounts, every request served unsigned, as `npm start` (docs/security.md).
              // CORS_ALLOWED_ORIGINS: one listed browser origin (test/workers/cross-site-requests.test.ts).
              bindings: {
                MESSAGE_DELAY_LEVEL: TEST_DELAY_LEVELS,
                FAULT_INJECTION_ENABLE: 'true',
                FLAREMQ_MODE: 'development',
                CORS_ALLOWED_ORIGINS: 'https://console.example.com',
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/core/**/*.test.ts', 'test/workers/**/*.test.ts', 'test/sdk/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...HA_TESTS],
        },
      },
      {
        // Replication, failover to slaves and retention, inside workerd, with the layout above.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                MESSAGE_DELAY_LEVEL: TEST_DELAY_LEVELS,
                FAULT_INJECTION_ENABLE: 'true',
                FLAREMQ_MODE: 'development',
                BROKERS: JSON.stringify(HA_BROKERS),
                NAMESERVER_COUNT: '3',
                MAX_QUEUE_BYTES: String(256 * 1024),
                SLAVE_TIMEOUT_MS: '500',
                ASYNC_FLUSH_INTERVAL_MS: '60000',
              },
            },
          }),
        ],
        test: { name: 'workers-ha', include: HA_TESTS },
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
