#!/usr/bin/env node
/**
 * Builds the SDK's package, @flaremq/sdk (packages/sdk), from src/sdk:
 * dist/index.js, one ES2022 module bundled by esbuild (no imports: the SDK has
 * no dependencies), and its type declarations, emitted by tsc with
 * src/sdk/tsconfig.json under dist/types with dist/index.d.ts in front.
 *
 *   node scripts/build-sdk.mjs                  npm run build:sdk: into packages/sdk/dist
 *   node scripts/build-sdk.mjs --pack [DIR]     npm run pack:sdk: then `npm pack` it into DIR (default dist/)
 *   node scripts/build-sdk.mjs --to DIR ...     builds a copy of the package in DIR (package.json,
 *                                               README.md, dist/) instead, leaving packages/sdk alone
 *
 * With --pack, the tarball's path is the last line printed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = join(ROOT, 'packages', 'sdk');
const SDK = join(ROOT, 'src', 'sdk');

const { values } = parseArgs({
  options: { to: { type: 'string' }, pack: { type: 'string' } },
  args: process.argv.slice(2).flatMap((a, i, all) =>
    // `--pack` alone packs into dist/.
    a === '--pack' && (i === all.length - 1 || all[i + 1].startsWith('--')) ? [a, join(ROOT, 'dist')] : [a],
  ),
});
const packageDir = values.to ? resolve(values.to) : PACKAGE;
const dist = join(packageDir, 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
if (packageDir !== PACKAGE)
  for (const f of ['package.json', 'README.md']) copyFileSync(join(PACKAGE, f), join(packageDir, f));

await build({
  entryPoints: [join(SDK, 'index.ts')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  outfile: join(dist, 'index.js'),
});

emitDeclarations(join(dist, 'types'));
writeFileSync(join(dist, 'index.d.ts'), "export * from './types/sdk/index.js';\n");

if (values.pack) {
  const destination = resolve(values.pack);
  mkdirSync(destination, { recursive: true });
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', packageDir, '--pack-destination', destination, '--json', '--ignore-scripts'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  console.log(join(destination, packed.filename));
}

/**
 * The SDK's declarations (src/sdk and the parts of src/core it uses) under `outDir`, their
 * relative imports given the `.js` their files have: the source imports without extensions (the
 * server's bundlers resolve them), but a project resolving the package as Node does
 * (moduleResolution node16/nodenext) would resolve nothing and silently see `any`. tsc itself
 * never adds extensions, and no declaration bundler is among the dependencies, so a transform of
 * tsc's own declaration output does it.
 */
function emitDeclarations(outDir) {
  const configPath = join(SDK, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) fail([error]);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, SDK, { outDir }, configPath);
  if (parsed.errors.length > 0) fail(parsed.errors);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const emitted = program.emit(undefined, undefined, undefined, true, { afterDeclarations: [withExtensions] });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0 || emitted.emitSkipped) fail(diagnostics);
}

/** Gives every relative module specifier of a declaration file the extension of the file it names. */
function withExtensions(context) {
  const { factory } = context;
  return (file) => {
    const from = dirname(file.fileName);
    const specifier = (literal) => {
      const s = literal.text;
      if (!s.startsWith('.')) return literal;
      if (existsSync(resolve(from, `${s}.ts`))) return factory.createStringLiteral(`${s}.js`);
      if (existsSync(resolve(from, s, 'index.ts'))) return factory.createStringLiteral(`${s}/index.js`);
      return literal;
    };
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateImportDeclaration(
          node,
          node.modifiers,
          node.importClause,
          specifier(node.moduleSpecifier),
          node.attributes,
        );
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          specifier(node.moduleSpecifier),
          node.attributes,
        );
      }
      if (
        ts.isImportTypeNode(node) &&
        ts.isLiteralTypeNode(node.argument) &&
        ts.isStringLiteral(node.argument.literal)
      ) {
        return factory.updateImportTypeNode(
          node,
          factory.updateLiteralTypeNode(node.argument, specifier(node.argument.literal)),
          node.attributes,
          node.qualifier,
          node.typeArguments,
          node.isTypeOf,
        );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(file, visit);
  };
}

function fail(diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}
