/**
 * Runs one benchmark scenario (bench/<scenario>.ts) or all of them, prints
 * the figures as one JSON line at the end, and rewrites that scenario's
 * section of docs/benchmarks.md (other sections are kept).
 *
 *   npm run bench -- <scenario|all> [args]
 *
 * A scenario file exports `default async function run(args): Promise<figures>`
 * and may export `description` (one paragraph for the document).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SCENARIO_ORDER, updateDocument, type Figures } from './lib/report.js';

interface ScenarioModule {
  default: (args: string[]) => Promise<Figures>;
  description?: string;
}

const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

function scenarioFile(name: string): string {
  if (!/^[a-z][\w-]*$/.test(name) || name === 'run') throw new Error(`not a scenario name: ${name}`);
  const path = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  if (!existsSync(path)) throw new Error(`no scenario bench/${name}.ts (known: ${SCENARIO_ORDER.join(', ')})`);
  return path;
}

let running: string | undefined;

// A scenario that waits on something nothing will ever deliver empties the event loop, and Node then
// exits with status 0 and no figures: say so and fail instead.
process.on('beforeExit', () => {
  if (running === undefined) return;
  console.error(`bench: ${running} stopped before it finished: it waited on a promise nothing will settle (a deadlock)`);
  process.exit(1);
});

async function runOne(name: string, args: string[]): Promise<Figures> {
  const mod = (await import(pathToFileURL(scenarioFile(name)).href)) as ScenarioModule;
  console.error(`bench: running ${name} ${args.join(' ')}`.trimEnd());
  running = name;
  const figures = await mod.default(args);
  running = undefined;
  updateDocument(DOC, {
    scenario: name,
    command: ['npm run bench --', name, ...args].join(' '),
    description: mod.description,
    figures,
    date: new Date(),
  });
  return figures;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined) throw new Error(`usage: npm run bench -- <scenario|all> [args]; scenarios: ${SCENARIO_ORDER.join(', ')}`);
  if (name === 'all') {
    const all: Record<string, Figures> = {};
    // Scenario arguments differ; `all` runs each with its defaults.
    for (const s of SCENARIO_ORDER) if (existsSync(fileURLToPath(new URL(`./${s}.ts`, import.meta.url)))) all[s] = await runOne(s, []);
    console.log(JSON.stringify(all));
    return;
  }
  console.log(JSON.stringify(await runOne(name, args)));
}

main(process.argv.slice(2)).then(
  // Pools and sockets of a scenario may linger; the figures are out, so leave.
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
