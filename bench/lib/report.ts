/**
 * docs/benchmarks.md: one section per scenario between markers, so updating
 * one scenario keeps every other section as it was.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export type Figures = Record<string, number | string>;

/** Scenario order in the document; unknown scenarios go after these. */
export const SCENARIO_ORDER = ['limit', 'pipeline', 'processors', 'parquet', 'drain', 'e2e', 'memory', 'freshness'];

const HEADER = `# Benchmarks

Written by \`npm run bench -- <scenario> [args]\` (bench/run.ts); each section is
replaced when its scenario runs again. The machines these run on are shared and
noisy: absolute figures move from run to run, so every comparison below is a
ratio of two figures measured side by side in the same run.
`;

/** A ratio: any figure whose name says it compares two measurements of the same run. */
export function isRatio(key: string): boolean {
  return /(^|_)(ratio|vs|x)(_|$)/.test(key);
}

export interface SectionInput {
  scenario: string;
  command: string;
  description: string | undefined;
  figures: Figures;
  date: Date;
}

export function machine(): string {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${availableParallelism()} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)} at the end`;
}

function table(rows: [string, number | string][]): string {
  return ['| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : v} |`)].join('\n');
}

export function renderSection(s: SectionInput): string {
  const entries = Object.entries(s.figures).filter(([k]) => k !== 'scenario');
  const ratios = entries.filter(([k]) => isRatio(k));
  const figures = entries.filter(([k]) => !isRatio(k));
  const lines = [
    `<!-- bench:${s.scenario}:start -->`,
    `## ${s.scenario}`,
    '',
    ...(s.description ? [s.description, ''] : []),
    `- Command: \`${s.command}\``,
    `- Date: ${s.date.toISOString()}`,
    `- Machine: ${machine()}`,
    '',
    table(figures),
    '',
    ratios.length > 0 ? 'Ratios (same run):\n\n' + table(ratios) : 'Ratios: none for this scenario.',
    `<!-- bench:${s.scenario}:end -->`,
  ];
  return lines.join('\n');
}

/** Sections already in the document, by scenario name. */
export function parseSections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- bench:([\w-]+):start -->[\s\S]*?<!-- bench:\1:end -->/g;
  for (const m of doc.matchAll(re)) out.set(m[1]!, m[0]);
  return out;
}

export function renderDocument(sections: Map<string, string>): string {
  const names = [...sections.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return HEADER + '\n' + names.map((n) => sections.get(n)!).join('\n\n') + '\n';
}

function rank(name: string): number {
  const i = SCENARIO_ORDER.indexOf(name);
  return i < 0 ? SCENARIO_ORDER.length : i;
}

export function updateDocument(path: string, section: SectionInput): void {
  const sections = existsSync(path) ? parseSections(readFileSync(path, 'utf8')) : new Map<string, string>();
  sections.set(section.scenario, renderSection(section));
  writeFileSync(path, renderDocument(sections));
}
