/** Values out of the service's /metrics text (Prometheus exposition format). */

function samples(text: string, name: string): number[] {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm');
  return [...text.matchAll(re)].map((m) => Number(m[1]));
}

/** The first sample of `name` (any labels), or NaN when there is none. */
export function metric(text: string, name: string): number {
  return samples(text, name)[0] ?? NaN;
}

/** The sum of every sample of `name` over its label sets, or NaN when there is none. */
export function metricSum(text: string, name: string): number {
  const values = samples(text, name);
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0);
}

/** /metrics of a service on this machine, or '' when it does not answer within a second. */
export async function scrapeMetrics(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) }).then(
    (r) => r.text(),
    () => '',
  );
}
