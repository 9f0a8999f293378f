/**
 * The SDK as its users get it: packed as @flaremq/sdk (scripts/build-sdk.mjs, `npm run pack:sdk`),
 * installed offline from the tarball into an empty project, type-checked there as Node, browser
 * and Worker code with this repository's tsc (nothing installed in the project but the package),
 * and run on Node against wrangler dev; then the README's quick-start snippet, run as written
 * from that project.
 *
 * The package is built into this file's temporary directory (`--to`), not into packages/sdk, so
 * that it never races the examples' build (test/e2e/examples.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, delimiter, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, makeTempDir, startServer, type DevServer, stopAndRemove } from './server';

const NODE_BIN = join(PROJECT_ROOT, 'node_modules', '.bin');
/** Longest run of one command: a build, an install, a type check, a program that sends and consumes. */
const COMMAND_TIMEOUT_MS = 90_000;
/** Longest setup: a build and an install after one another, while the server starts (up to 90 s). */
const SETUP_TIMEOUT_MS = 3 * COMMAND_TIMEOUT_MS;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command under the project's Node 22 (node_modules/.bin first on the PATH), without the
 * npm_* variables of the `npm test` that started vitest (an inner npm must see only its own
 * project); never throws on a non-zero exit. A command still running after the timeout is killed.
 */
function exec(file: string, args: string[], cwd: string): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd,
        env: { ...base, PATH: `${NODE_BIN}${delimiter}${process.env.PATH}`, NO_COLOR: '1' },
        timeout: COMMAND_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    ).stdin?.end();
  });
}

function ok(run: Run, what: string): Run {
  if (run.code !== 0)
    throw new Error(`${what} exited ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  return run;
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/**
 * A program of the user's, with nothing of any runtime: sends a message to `topic` and consumes
 * it as a member of `group`. The `@ts-expect-error` lines fail the type check if the package's
 * types resolved to `any`.
 */
const PROGRAM = `import { createClient, type ConsumedMessage, type SendResult } from '@flaremq/sdk';

export async function sendAndConsume(endpoint: string, topic: string, group: string): Promise<string> {
  const client = createClient({ endpoint });
  const sent: SendResult = await client.producer().send(topic, { body: 'from the package', tags: 'TagA' });
  // @ts-expect-error: a send result's msgId is a string
  const wrong: number = sent.msgId;
  void wrong;

  let done!: (m: ConsumedMessage) => void;
  const consumed = new Promise<ConsumedMessage>((resolve) => (done = resolve));
  const consumer = client.pushConsumer({ group, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  await consumer.subscribe(topic, 'TagA').run({
    eachMessage: async (m) => {
      if (m.msgId === sent.msgId) done(m);
    },
  });
  const m = await consumed;
  await consumer.stop();
  return \`consumed \${JSON.stringify(m.text())} from \${topic} as \${group}\`;
}

// @ts-expect-error: a client's options need an endpoint
export const misspelt: Parameters<typeof createClient>[0] = { endpont: 'http://localhost:8787' };
`;

/** Node's entry point to the program. */
const MAIN = `import { sendAndConsume } from './program.js';

const [endpoint, topic, group] = process.argv.slice(2);
console.log(await sendAndConsume(endpoint!, topic!, group!));
`;

type Runtime = 'node' | 'browser' | 'workers';

/**
 * The project's tsconfig for one runtime, as such a project compiles: Node resolving packages as
 * Node does (nodenext), a browser app and a Worker as bundlers do. No type checks skipped. The
 * runtimes' types (Node's, workerd's) are the repository's: nothing but the package is installed.
 */
function tsconfig(runtime: Runtime): object {
  const typesFromRepository = join(PROJECT_ROOT, 'node_modules');
  const bundled = { module: 'ESNext', moduleResolution: 'Bundler', noEmit: true };
  const options = {
    node: {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      types: ['node'],
      typeRoots: [join(typesFromRepository, '@types')],
      outDir: 'out',
    },
    browser: { ...bundled, lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [] },
    workers: { ...bundled, lib: ['ES2022'], types: ['@cloudflare/workers-types'], typeRoots: [typesFromRepository] },
  }[runtime];
  return {
    compilerOptions: { target: 'ES2022', strict: true, ...options },
    files: runtime === 'node' ? ['program.ts', 'main.ts'] : ['program.ts'],
  };
}

/** Writes the program and the runtime's tsconfig into the project and runs the repository's tsc there. */
function typeCheck(runtime: Runtime): Promise<Run> {
  writeFileSync(join(app, 'program.ts'), PROGRAM);
  writeFileSync(join(app, 'main.ts'), MAIN);
  writeFileSync(join(app, `tsconfig.${runtime}.json`), JSON.stringify(tsconfig(runtime), null, 2));
  return exec(join(NODE_BIN, 'tsc'), ['-p', `tsconfig.${runtime}.json`], app);
}

/** The first ```js block of the README's quick start, under "### Consume as a group". */
function readmeSnippet(): string {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('\n### Consume as a group\n');
  expect(at, 'README.md has no "### Consume as a group"').toBeGreaterThanOrEqual(0);
  const block = /^```js\n([\s\S]*?)^```$/m.exec(readme.slice(at));
  expect(block, 'no ```js block under "### Consume as a group"').not.toBeNull();
  return block![1];
}

let tmp: string;
let app: string;
let tarball: string;
let starting: Promise<DevServer> | undefined;
let server: DevServer;

describe('the SDK as a package', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-sdk-package-');
    starting = startServer({ persistTo: join(tmp, 'state') });
    starting.catch(() => {}); // awaited below, once the package is installed
    const packed = await exec(
      'node',
      [join(PROJECT_ROOT, 'scripts', 'build-sdk.mjs'), '--to', join(tmp, 'package'), '--pack', tmp],
      tmp,
    );
    tarball = ok(packed, 'scripts/build-sdk.mjs --pack').stdout.trim().split('\n').at(-1)!;
    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'sdk-user', private: true, type: 'module' }));
    ok(await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app), 'npm install --offline');
    server = await starting;
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    // The server, whether or not the setup got as far as waiting for it.
    await stopAndRemove((await starting?.catch(() => null)) ?? null, tmp);
  });

  it('installs from its tarball alone: no dependencies, only the bundle and its types', () => {
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'packages', 'sdk', 'package.json'), 'utf8'));
    expect(basename(tarball)).toBe(`flaremq-sdk-${manifest.version}.tgz`);
    // The line docs/sdk.md and the README give installs this very file.
    for (const doc of ['docs/sdk.md', 'README.md'])
      expect(readFileSync(join(PROJECT_ROOT, doc), 'utf8'), doc).toContain(`dist/${basename(tarball)}`);

    expect(readdirSync(join(app, 'node_modules')).filter((e) => e !== '.package-lock.json')).toEqual(['@flaremq']);
    const installed = join(app, 'node_modules', '@flaremq', 'sdk');
    const files = filesUnder(installed);
    expect(files.filter((f) => !f.startsWith('dist/'))).toEqual(['README.md', 'package.json']);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']));

    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: '@flaremq/sdk', type: 'module', sideEffects: false });
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
      expect(pkg[field]).toBeUndefined();
    // The bundle imports nothing: no module of the server's, no npm package.
    expect(readFileSync(join(installed, 'dist', 'index.js'), 'utf8')).not.toMatch(
      /^\s*(import|export)\s[^;]*\sfrom\s/m,
    );
  });

  it.each<Runtime>(['node', 'browser', 'workers'])('type-checks a program against it as %s code', async (runtime) => {
    const run = await typeCheck(runtime);
    expect(run.code, `tsc -p tsconfig.${runtime}.json\n${run.stdout}${run.stderr}`).toBe(0);
  });

  it('runs that program on Node: sends a message and consumes it as a member of a group', async () => {
    ok(await typeCheck('node'), 'tsc -p tsconfig.node.json'); // and compiles it to out/
    const run = await exec('node', [join('out', 'main.js'), server.url, 'PackageTopic', 'GID_package'], app);
    expect(run.code, `${run.stdout}${run.stderr}\n--- server (tail) ---\n${server.output().slice(-3000)}`).toBe(0);
    expect(run.stdout.trim()).toBe('consumed "from the package" from PackageTopic as GID_package');
  });

  it("runs the README's consume-as-a-group snippet as written", async () => {
    const snippet = readmeSnippet();
    expect(snippet).toContain("from '@flaremq/sdk'");
    expect(snippet).toContain("'http://localhost:8787'");
    writeFileSync(join(app, 'consume.mjs'), snippet.replaceAll("'http://localhost:8787'", `'${server.url}'`));
    const run = await exec('node', ['consume.mjs'], app);
    expect(run.code, `${run.stdout}${run.stderr}\n--- server (tail) ---\n${server.output().slice(-3000)}`).toBe(0);
    expect(run.stdout).toMatch(/^consumed Hello from the SDK \(broker-[ab]\/\d+ offset \d+\)$/m);
  });
});
