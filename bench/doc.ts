/**
 * docs/benchmarks.md: a full run replaces the part between the markers (the
 * tables, the machine, the versions); the rest of the page (how to read it,
 * what was found) is written by people and kept as it is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../test/e2e/server.ts';

export const DOC_PATH = join(PROJECT_ROOT, 'docs', 'benchmarks.md');
const BEGIN = '<!-- bench:begin: written by `npm run bench` (full runs); edit outside these markers -->';
const END = '<!-- bench:end -->';

const TEMPLATE = `# Benchmarks

\`npm run bench\` measures flaremq on the local runtime (wrangler dev on workerd) beside
the ceilings of the machine and runtime and beside its peers, and writes the tables below.

${BEGIN}
${END}
`;

export function writeDoc(generated: string[]): void {
  const current = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : TEMPLATE;
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const base = begin >= 0 && end > begin ? current : `${current.trimEnd()}\n\n${BEGIN}\n${END}\n`;
  const b = base.indexOf(BEGIN);
  const e = base.indexOf(END);
  writeFileSync(DOC_PATH, `${base.slice(0, b + BEGIN.length)}\n${generated.join('\n').trimEnd()}\n${base.slice(e)}`);
}
