/**
 * The Chromium that the browser tests drive with playwright-core, so that they run wherever
 * `npm install` ran:
 *
 * - the system's browser where there is one: CHROMIUM_PATH, else Debian's /usr/bin/chromium
 *   (CHROMIUM_PATH replaces that default: a path where no file is means "no system browser");
 * - otherwise the headless Chromium that the dev dependency `@sparticuz/chromium` ships inside its
 *   npm tarball, unpacked once per version into the system's temporary folder, with the NSS and
 *   expat libraries it links against (from the same tarball: a machine without a browser may
 *   lack them) and the Open Sans fonts it ships, so screenshots have text on a machine without fonts.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { PROJECT_ROOT } from './server';

const SYSTEM_CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BUNDLE = join(PROJECT_ROOT, 'node_modules', '@sparticuz', 'chromium');

/** Flags for a browser run by tests: no sandbox (CI runs as root), nothing that reaches the network on its own. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Executable {
  path: string;
  /** Variables for the browser process only (the bundled build's libraries and fonts). */
  env: Record<string, string>;
}

/**
 * The bundled build, unpacked under `<tmp>/flaremq-bundled-chromium-<version>`. The package unpacks into
 * `os.tmpdir()` only, so a child process with its own TMPDIR unpacks into a staging folder that
 * is then renamed into place: a test run beside another one never sees half a binary.
 */
async function bundledChromium(): Promise<Executable> {
  const { version } = JSON.parse(readFileSync(join(BUNDLE, 'package.json'), 'utf8')) as { version: string };
  const dir = join(tmpdir(), `flaremq-bundled-chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) {
    const staging = mkdtempSync(`${dir}-staging-`);
    const unpack = `import { inflate } from '@sparticuz/chromium';
      for (const file of ['chromium.br', 'al2023.tar.br', 'fonts.tar.br']) await inflate(${JSON.stringify(BUNDLE)} + '/bin/' + file);`;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', unpack], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TMPDIR: staging },
    });
    // The package's own fonts.conf names /tmp/fonts; this one names where the fonts are.
    writeFileSync(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<fontconfig><dir>${dir}/fonts/fonts</dir><cachedir>${dir}/fonts-cache</cachedir></fontconfig>\n`,
    );
    chmodSync(staging, 0o755); // mkdtemp's 0700 would keep it from other users of the machine
    try {
      renameSync(staging, dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(dir, 'chromium'))) throw err; // else another run unpacked it first
    }
  }
  return {
    path: join(dir, 'chromium'),
    env: { LD_LIBRARY_PATH: join(dir, 'al2023', 'lib'), FONTCONFIG_FILE: join(dir, 'fonts.conf') },
  };
}

/** The system's Chromium if its file is there, else the bundled one. */
async function chromiumExecutable(): Promise<Executable> {
  return existsSync(SYSTEM_CHROMIUM) ? { path: SYSTEM_CHROMIUM, env: {} } : await bundledChromium();
}

/**
 * Launches headless Chromium with a fresh profile in `profileDir` (playwright passes it as
 * --user-data-dir) and says on the console which browser it is.
 */
export async function launchChromium(profileDir: string, options: BrowserContextOptions): Promise<BrowserContext> {
  const { path, env } = await chromiumExecutable();
  const context = await chromium.launchPersistentContext(profileDir, {
    // Not the process's locale: under a C locale (LANG=C.UTF-8) the bundled build says en-US@posix, which Intl refuses.
    locale: 'en-US',
    ...options,
    executablePath: path,
    env: { ...process.env, ...env },
    headless: true,
    args: ARGS,
  });
  console.info(`browser tests drive Chromium ${context.browser()?.version() ?? '?'} at ${path}`);
  return context;
}
