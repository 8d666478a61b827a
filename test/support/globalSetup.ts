/**
 * Starts one local AWS stack for the whole test run (the same module as
 * `npm run local-aws`) and hands its endpoints to the tests through the
 * environment. Each test creates resources with fresh random names.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalAws, type LocalAwsStack } from '../../src/local/localAws.js';

let stack: LocalAwsStack | undefined;

export async function setup(): Promise<void> {
  const logDir = mkdtempSync(join(tmpdir(), 'kl-local-aws-'));
  stack = await startLocalAws({ logDir });
  for (const [k, v] of Object.entries(stack.env)) process.env[k] = v;
  process.env.KL_TEST_OBJECT_EMULATOR = stack.objectEmulator;
  process.env.KL_TEST_LOCAL_AWS_LOGS = logDir;
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}
