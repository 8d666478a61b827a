/** Paths and parsed contents of the deploy/ files the ops tests check. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const prometheusDir = join(repoRoot, 'deploy', 'prometheus');
export const alertsFile = join(prometheusDir, 'alerts.yml');
export const alertTestsFile = join(prometheusDir, 'tests', 'alerts.test.yml');
export const dashboardFile = join(repoRoot, 'deploy', 'grafana', 'kinesis-lake.json');
export const operationsDoc = join(repoRoot, 'docs', 'operations.md');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(alertsFile, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules).filter((r) => typeof r.alert === 'string');
}

export interface AlertCase {
  alertname: string;
  exp_alerts?: unknown[];
}

export function alertTestCases(file: string = alertTestsFile): AlertCase[] {
  const doc = parse(readFileSync(file, 'utf8')) as { tests: { alert_rule_test?: AlertCase[] }[] };
  return doc.tests.flatMap((t) => t.alert_rule_test ?? []);
}

/**
 * Metric names a PromQL expression reads. Only names of this service and of
 * the standard process/scrape families are collected; functions, keywords and
 * label names never start with these prefixes.
 */
export function metricNamesIn(expr: string): string[] {
  // Label matchers ({job="up"}) are dropped first so label values cannot pass for names.
  const withoutMatchers = expr.replace(/\{[^}]*\}/g, ' ');
  const names = withoutMatchers.match(/\b(?:kinesis_lake_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+|up)\b/g) ?? [];
  return [...new Set(names)];
}

/** A histogram's `_bucket`, `_sum` and `_count` series belong to the family without the suffix. */
export function familyOf(seriesName: string, registered: ReadonlySet<string>): string | undefined {
  if (registered.has(seriesName)) return seriesName;
  const base = seriesName.replace(/_(bucket|sum|count)$/, '');
  return registered.has(base) ? base : undefined;
}

interface DashboardPanel {
  title: string;
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}

/** Every PromQL query of the Grafana dashboard (panels, nested rows, variables), with where it is. */
export function dashboardQueries(): { where: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: DashboardPanel[]; templating: { list: { name: string; definition?: string }[] } };
  const walk = (panels: DashboardPanel[]): { where: string; expr: string }[] =>
    panels.flatMap((p) => [...(p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr ?? '' })), ...walk(p.panels ?? [])]);
  const variables = dash.templating.list.filter((v) => v.definition).map((v) => ({ where: `variable ${v.name}`, expr: v.definition ?? '' }));
  return [...walk(dash.panels), ...variables];
}
