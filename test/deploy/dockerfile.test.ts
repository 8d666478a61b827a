/**
 * The production image's rules, read from the Dockerfile itself (no Docker
 * engine runs in CI): multi-stage, production-only dependencies, a pinned LTS
 * base, non-root, an init process, a health check on /healthz, read-only-root
 * friendly, and a .dockerignore that keeps the context small.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEALTHCHECK_COMMAND } from '../../deploy/ecs/lib/healthCheck.js';
import { METRICS_PORT } from '../../deploy/ecs/lib/stackProps.js';
import { MALLOC_ENV } from '../../src/config/memoryFit.js';
import { baseImage, effectiveInstructions, execForm, parseInstructions, parseStages, type Instruction } from './dockerfileParser.js';

const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dockerfile = readFileSync(join(REPOSITORY_ROOT, 'Dockerfile'), 'utf8');
const stages = parseStages(dockerfile);
const finalStage = stages.at(-1)!;
const finalInstructions = effectiveInstructions(stages, finalStage);
const packageJson = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; engines: { node: string }; devDependencies: Record<string, string>; scripts: Record<string, string> };

function only(instructions: Instruction[], keyword: string): Instruction {
  const found = instructions.filter((i) => i.keyword === keyword);
  expect(found, `exactly one ${keyword}`).toHaveLength(1);
  return found[0]!;
}

function runs(instructions: Instruction[]): string[] {
  return instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

describe('Dockerfile', () => {
  it('parses continuation lines and comments (parser self-check)', () => {
    expect(parseInstructions('# c\nFROM a AS b\nRUN x \\\n  # note\n  && y\n')).toEqual([
      { keyword: 'FROM', args: 'a AS b' },
      { keyword: 'RUN', args: 'x && y' },
    ]);
  });

  it('is multi-stage: a build stage compiles, the final stage copies only its output', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const copiesFromStages = finalStage.instructions.filter((i) => i.keyword === 'COPY' && /--from=\S+/.test(i.args));
    expect(copiesFromStages.length).toBeGreaterThan(0);
    for (const copy of copiesFromStages) {
      const source = /--from=(\S+)/.exec(copy.args)![1];
      const sourceStage = stages.find((s) => s.name === source);
      expect(sourceStage, `stage ${source}`).toBeDefined();
      const built = runs(effectiveInstructions(stages, sourceStage!));
      expect(built.some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r))).toBe(true);
      expect(built.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
      expect(copy.args).toMatch(/\/dist\b/);
    }
  });

  it('copies into the build stage the files `npm run build` reads (tsc project, bundler script)', () => {
    const buildStage = stages.find((s) => runs(effectiveInstructions(stages, s)).some((r) => /\bnpm run build\b/.test(r)));
    expect(buildStage).toBeDefined();
    const copied = effectiveInstructions(stages, buildStage!)
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    const files = [...packageJson.scripts.build!.matchAll(/(?:\bnode|\s-p)\s+(\S+)/g)].map((m) => m[1]!);
    expect(files).toEqual(expect.arrayContaining(['tsconfig.build.json', 'tools/bundle.mjs']));
    for (const file of files) expect(copied.some((c) => file === c || file.startsWith(`${c.replace(/\/$/, '')}/`)), `${file} is copied before npm run build`).toBe(true);
  });

  it('installs production dependencies only in the final stage', () => {
    const installs = runs(finalInstructions).filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toMatch(/npm ci --omit=dev/);
    expect(runs(finalInstructions).some((r) => /npm run build|\btsc\b/.test(r))).toBe(false);
  });

  it('ships the runtime assets the service reads', () => {
    const copies = finalInstructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from=')).map((i) => i.args.split(' ')[0]);
    expect(copies).toEqual(expect.arrayContaining(['schemas', 'queries']));
  });

  it('starts from a pinned, full-version Node LTS slim image, never latest', () => {
    const external = new Set(stages.map((s) => baseImage(stages, s)));
    expect(external.size).toBeGreaterThan(0);
    const minimumMajor = Number(/(\d+)/.exec(packageJson.engines.node)![1]);
    for (const image of external) {
      const match = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/.exec(image);
      expect(match, `${image} is not node:X.Y.Z-<debian>-slim`).not.toBeNull();
      const major = Number(match![1]);
      expect(major % 2, 'even majors are the LTS lines').toBe(0);
      expect(major).toBeGreaterThanOrEqual(minimumMajor);
      expect(image).not.toMatch(/latest/);
    }
  });

  it('ships the Node the tests and benches run on', () => {
    // `npm ci` installs this Node (the `node` package) and npm puts it first on every script's PATH.
    const pinned = packageJson.devDependencies.node;
    expect(pinned, 'devDependencies.node is an exact version').toMatch(/^\d+\.\d+\.\d+$/);
    for (const image of new Set(stages.map((s) => baseImage(stages, s)))) expect(image).toMatch(new RegExp(`^node:${pinned!.replaceAll('.', '\\.')}-`));
    expect(process.version, 'the tests run on the pinned Node only through npm (`npm test`), after an `npm ci` that ran install scripts (the node package installs its binary in one)').toBe(`v${pinned}`);
  });

  it('runs as a non-root user', () => {
    const user = only(finalInstructions, 'USER').args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const userIndex = finalInstructions.findIndex((i) => i.keyword === 'USER');
    // Nothing after USER may need root (installs, chown).
    expect(finalInstructions.slice(userIndex).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('runs node under tini so SIGTERM reaches it', () => {
    const entrypoint = execForm(only(finalInstructions, 'ENTRYPOINT').args);
    expect(entrypoint[0]).toMatch(/(^|\/)tini$/);
    expect(entrypoint.slice(1)).toEqual(['--', 'node', packageJson.bin['kinesis-lake']]);
    expect(runs(finalInstructions).some((r) => /apt-get install[^&]*\btini\b/.test(r))).toBe(true);
    expect(execForm(only(finalInstructions, 'CMD').args)).toEqual(['run']);
  });

  it('checks /healthz on the metrics port with node fetch, the same probe as the ECS task', () => {
    const healthcheck = only(finalInstructions, 'HEALTHCHECK').args;
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 4));
    expect(command).toEqual(HEALTHCHECK_COMMAND);
    expect(command.join(' ')).toContain('/healthz');
    expect(command.join(' ')).toContain(String(METRICS_PORT));
    expect(only(finalInstructions, 'EXPOSE').args).toBe(String(METRICS_PORT));
  });

  it('writes only under /tmp: HOME and TMPDIR point there', () => {
    const env = finalInstructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bHOME=\/tmp\b/);
    expect(env).toMatch(/\bTMPDIR=\/tmp\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
  });

  it('runs with the malloc settings the benches measured the service with', () => {
    const env = finalInstructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(Object.keys(MALLOC_ENV).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(MALLOC_ENV)) expect(env.split(/\s+/)).toContain(`${name}=${value}`);
  });
});

describe('.dockerignore', () => {
  const ignored = readFileSync(join(REPOSITORY_ROOT, '.dockerignore'), 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('keeps dependencies, build output, history, tests and CDK output out of the context', () => {
    for (const entry of ['node_modules', 'dist', '.git', 'test', 'coverage']) expect(ignored).toContain(entry);
    expect(ignored.some((e) => e.endsWith('cdk.out') || e === 'deploy')).toBe(true);
  });

  it('does not exclude what the Dockerfile copies', () => {
    const copied = finalInstructions
      .concat(stages.flatMap((s) => s.instructions))
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    for (const path of copied) expect(ignored, path).not.toContain(path);
  });
});
