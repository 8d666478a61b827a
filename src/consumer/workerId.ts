import { hostname } from 'node:os';

/**
 * The worker's identity in the lease table: KL_WORKER_ID when set, else the
 * ECS task ARN from the task metadata endpoint, else host name + pid.
 */
export async function resolveWorkerId(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (configured) return configured;
  const metadataUri = env.ECS_CONTAINER_METADATA_URI_V4;
  if (metadataUri) {
    try {
      const res = await fetch(`${metadataUri}/task`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        const body = (await res.json()) as { TaskARN?: string };
        if (body.TaskARN) return body.TaskARN;
      }
    } catch {
      // Fall through: a worker id that is unique on this host is still correct, only less readable.
    }
  }
  return `${hostname()}:${process.pid}`;
}
