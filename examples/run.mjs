// Runs one example against a local flaremq: `npm run example -- quickstart`.
// npm runs `npm run build:sdk` first (the examples import the SDK's package as it
// builds it, packages/sdk/dist), then this file imports examples/<name>.ts, which
// Node ≥ 22.18 runs by stripping its types.
import { readdirSync } from 'node:fs';

const names = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && f !== 'shared.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const name = process.argv[2];
if (!name || !names.includes(name)) {
  console.error(`usage: npm run example -- <name>\nexamples: ${names.join(', ')}`);
  process.exit(2);
}
await import(new URL(`./${name}.ts`, import.meta.url).href);
