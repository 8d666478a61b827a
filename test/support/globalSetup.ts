/**
 * Starts one local AWS stack for the whole test run (the same module as
 * `npm run local-aws`) and hands its endpoints to the tests through the
 * environment. Each test creates resources with fresh random names.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFauxqsSqs, startLocalAws, type LocalAwsStack } from '../../src/local/localAws.js';

let stack: LocalAwsStack | undefined;
let fauxqs: { url: string; stop(): Promise<void> } | undefined;

export async function setup(): Promise<void> {
  const logDir = mkdtempSync(join(tmpdir(), 'kl-local-aws-'));
  stack = await startLocalAws({ logDir });
  for (const [k, v] of Object.entries(stack.env)) process.env[k] = v;
  process.env.KL_TEST_OBJECT_EMULATOR = stack.objectEmulator;
  process.env.KL_TEST_LOCAL_AWS_LOGS = logDir;
  // moto's SQS does work proportional to the queue's length on every call: tests that pile up
  // hundreds of dead letters ask createLake for this fauxqs instead (the DLQ contract tests stay on moto).
  fauxqs = await startFauxqsSqs(logDir);
  process.env.KL_TEST_FAUXQS_SQS_URL = fauxqs.url;
}

export async function teardown(): Promise<void> {
  await Promise.all([stack?.stop(), fauxqs?.stop()]);
}
