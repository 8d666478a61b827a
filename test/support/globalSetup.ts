/**
 * Starts one local AWS stack for the whole test run (the same module as
 * `npm run local-aws`) and hands its endpoints to the tests through the
 * environment. Each test creates resources with fresh random names.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFauxqsSqs, startLocalAws, type LocalAwsStack } from '../../src/local/localAws.js';

interface SharedStack {
  users: number;
  stop(): Promise<void>;
}

// Each vitest project runs the global setup, in the same process: the first starts the stack, the others
// share it (its endpoints are already in process.env), and the last teardown stops it.
const SHARED = Symbol.for('kinesis-lake.test.localAws');
const holder = globalThis as { [SHARED]?: Promise<SharedStack> };

async function start(): Promise<SharedStack> {
  // Every folder a test makes (tempDir(), service logs, the stack's logs) goes under one root, removed at the
  // end: runs left over a gigabyte in /tmp before. Set it to keep it (KL_TEST_KEEP_TMP=1) when debugging.
  const root = mkdtempSync(join(tmpdir(), 'kl-test-run-'));
  process.env.KL_TEST_TMP_DIR = root;
  const logDir = join(root, 'local-aws');
  mkdirSync(logDir);
  const stack: LocalAwsStack = await startLocalAws({ logDir });
  for (const [k, v] of Object.entries(stack.env)) process.env[k] = v;
  process.env.KL_TEST_OBJECT_EMULATOR = stack.objectEmulator;
  process.env.KL_TEST_LOCAL_AWS_LOGS = logDir;
  // moto's SQS does work proportional to the queue's length on every call: tests that pile up
  // hundreds of dead letters ask createLake for this fauxqs instead (the DLQ contract tests stay on moto).
  let fauxqs: { url: string; stop(): Promise<void> };
  try {
    fauxqs = await startFauxqsSqs(logDir);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  process.env.KL_TEST_FAUXQS_SQS_URL = fauxqs.url;
  return {
    users: 0,
    stop: async () => {
      await Promise.all([stack.stop(), fauxqs.stop()]);
      if (process.env.KL_TEST_KEEP_TMP !== '1') rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function setup(): Promise<void> {
  holder[SHARED] ??= start();
  (await holder[SHARED]).users++;
}

export async function teardown(): Promise<void> {
  const shared = await holder[SHARED];
  if (shared === undefined || --shared.users > 0) return;
  delete holder[SHARED];
  await shared.stop();
}
