import { mkdirSync } from 'node:fs';
import { startLocalAws } from '../local/localAws.js';

/**
 * `kinesis-lake local-aws`: starts the local AWS stack in the foreground and
 * prints the variables that point the SDK (and the service) at it. Ctrl-C
 * stops every emulator.
 */
export async function localAwsCommand(options: { logDir: string; npmOnly: boolean }): Promise<number> {
  mkdirSync(options.logDir, { recursive: true });
  const stack = await startLocalAws({ logDir: options.logDir, preferNpmOnly: options.npmOnly });
  process.stdout.write(`# local AWS stack is up (${stack.objectEmulator} serves S3, ${stack.sqsEmulator} serves SQS); logs in ${options.logDir}\n`);
  process.stdout.write(`# pids: ${stack.pids.join(' ')}; press Ctrl-C to stop\n`);
  for (const [k, v] of Object.entries(stack.env)) process.stdout.write(`export ${k}=${v}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stack.stop();
  return 0;
}
