import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertRules, operationsDoc } from './deployFiles.js';
import { sampleMetrics } from './sampleMetrics.js';

interface Row {
  name: string;
  type: string;
  labels: string[];
}

function documentedMetrics(): Row[] {
  const doc = readFileSync(operationsDoc, 'utf8');
  return doc
    .split('\n')
    .filter((l) => l.startsWith('| `kinesis_lake_'))
    .map((l) => {
      const cells = l.split('|').slice(1, -1).map((c) => c.trim());
      const labels = (cells[2] ?? '').match(/`([a-z_]+)`/g)?.map((x) => x.slice(1, -1)) ?? [];
      return { name: (cells[0] ?? '').replaceAll('`', ''), type: cells[1] ?? '', labels: labels.sort() };
    });
}

async function registeredMetrics(): Promise<Row[]> {
  // Every family filled, so label names can be read off the samples.
  const { metrics } = sampleMetrics(['shardId-000000000000']);
  return (await metrics.registry.getMetricsAsJSON())
    .filter((m) => m.name.startsWith('kinesis_lake_'))
    .map((m) => ({
      name: m.name,
      type: String(m.type),
      labels: [...new Set((m.values as { labels: Record<string, unknown> }[]).flatMap((v) => Object.keys(v.labels)))].filter((l) => l !== 'le').sort(),
    }));
}

describe('docs/operations.md', () => {
  it('lists exactly the registered metrics, with their types and labels', async () => {
    const byName = (rows: Row[]) => [...rows].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(documentedMetrics())).toEqual(byName(await registeredMetrics()));
  });

  it('has a runbook section for every alert, where the alert links to it', () => {
    const doc = readFileSync(operationsDoc, 'utf8');
    const headings = new Set([...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]));
    for (const rule of alertRules()) {
      expect(headings, rule.alert).toContain(rule.alert);
      expect(rule.annotations?.runbook_url).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
    }
  });

  it('documents every endpoint', () => {
    const doc = readFileSync(operationsDoc, 'utf8');
    for (const path of ['/metrics', '/healthz', '/readyz']) expect(doc).toContain(`| \`${path}\``);
  });
});
