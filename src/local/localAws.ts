/**
 * The local AWS stack the project starts for itself, on 127.0.0.1:
 * kinesalite (Kinesis), dynalite (DynamoDB), and moto_server (S3, SQS,
 * Firehose) where it is installed, else fauxqs (S3 and SQS, npm only) so the
 * demo runs on any laptop with Node. `npm run local-aws`, `demo` and the
 * tests' global setup all use this module.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalAwsEndpoints {
  kinesis: string;
  dynamodb: string;
  s3: string;
  sqs: string;
  /** Undefined when moto is not installed (the npm-only fallback has no Firehose). */
  firehose: string | undefined;
}

export interface LocalAwsStack {
  endpoints: LocalAwsEndpoints;
  /** Which emulator serves S3 and SQS. */
  objectEmulator: 'moto' | 'fauxqs';
  pids: number[];
  /** Environment variables that point the AWS SDK (and the service) at this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder for the emulators' logs. */
  logDir: string;
  /** Force the npm-only fallback even where moto is installed. */
  preferNpmOnly?: boolean;
  /** Keep the emulators running after this process exits (for `npm run local-aws`). */
  detached?: boolean;
}

const require = createRequire(import.meta.url);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when `moto_server` is on the PATH and moto imports. */
export function motoAvailable(): boolean {
  const which = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (which.status !== 0 || !which.stdout.trim()) return false;
  const imp = spawnSync('python3', ['-c', 'import moto, flask'], { encoding: 'utf8' });
  return imp.status === 0;
}

function startProcess(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv, detached: boolean): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env, detached });
  closeSync(fd);
  if (detached) child.unref();
  return child;
}

async function waitForHttp(url: string, name: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${name} exited during start-up; see its log`);
    try {
      const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not become ready at ${url} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startLocalAws(options: StartOptions): Promise<LocalAwsStack> {
  mkdirSync(options.logDir, { recursive: true });
  const detached = options.detached ?? false;
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopChild(c)));
  };
  try {
    const [kPort, dPort, oPort] = [await freePort(), await freePort(), await freePort()];
    const kinesalite = startProcess(
      process.execPath,
      [require.resolve('kinesalite/cli.js'), '--port', String(kPort), '--createStreamMs', '0', '--deleteStreamMs', '0', '--updateStreamMs', '0', '--shardLimit', '1000'],
      join(options.logDir, 'kinesalite.log'),
      process.env,
      detached,
    );
    children.push(kinesalite);
    const dynalite = startProcess(
      process.execPath,
      [require.resolve('dynalite/cli.js'), '--host', '127.0.0.1', '--port', String(dPort), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'],
      join(options.logDir, 'dynalite.log'),
      process.env,
      detached,
    );
    children.push(dynalite);

    const useMoto = !options.preferNpmOnly && motoAvailable();
    let objects: ChildProcess;
    if (useMoto) {
      objects = startProcess('moto_server', ['-H', '127.0.0.1', '-p', String(oPort)], join(options.logDir, 'moto.log'), process.env, detached);
    } else {
      objects = startProcess(
        process.execPath,
        [require.resolve('fauxqs/dist/cli.js')],
        join(options.logDir, 'fauxqs.log'),
        { ...process.env, FAUXQS_PORT: String(oPort), FAUXQS_HOST: '127.0.0.1', FAUXQS_LOGGER: 'false' },
        detached,
      );
    }
    children.push(objects);

    const k = `http://127.0.0.1:${kPort}`;
    const d = `http://127.0.0.1:${dPort}`;
    const o = `http://127.0.0.1:${oPort}`;
    await Promise.all([
      waitForHttp(k, 'kinesalite', kinesalite),
      waitForHttp(d, 'dynalite', dynalite),
      waitForHttp(useMoto ? `${o}/moto-api/` : `${o}/health`, useMoto ? 'moto_server' : 'fauxqs', objects),
    ]);
    const endpoints: LocalAwsEndpoints = { kinesis: k, dynamodb: d, s3: o, sqs: o, firehose: useMoto ? o : undefined };
    return {
      endpoints,
      objectEmulator: useMoto ? 'moto' : 'fauxqs',
      pids: children.map((c) => c.pid ?? 0),
      env: localAwsEnv(endpoints),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The SDK's standard variables for this stack, plus path-style S3. */
export function localAwsEnv(endpoints: LocalAwsEndpoints): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    KL_S3_FORCE_PATH_STYLE: 'true',
  };
  if (endpoints.firehose) env.AWS_ENDPOINT_URL_FIREHOSE = endpoints.firehose;
  return env;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
      resolve();
    }, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.kill('SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Stops processes recorded by a detached start (`npm run local-aws -- stop`). */
export function stopPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* not running */
    }
  }
}
