/**
 * The local AWS stack the project starts for itself, on 127.0.0.1:
 * kinesalite (Kinesis), dynalite (DynamoDB), and moto_server (S3, SQS,
 * Firehose) where it is installed, else fauxqs (S3 and SQS, npm only) so the
 * demo runs on any laptop with Node. fauxqs alone listens on every interface
 * (fauxqs 1.9.2 has no setting for it). `npm run local-aws`, `demo` and the
 * tests' global setup all use this module.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalAwsEndpoints {
  kinesis: string;
  dynamodb: string;
  s3: string;
  sqs: string;
  /** Undefined when moto is not installed (the npm-only fallback has no Firehose). */
  firehose: string | undefined;
  /** Secrets Manager (KL_PII_KEY_SECRET_ARN), moto only like Firehose. */
  secretsManager: string | undefined;
}

export interface LocalAwsStack {
  endpoints: LocalAwsEndpoints;
  /** Which emulator serves S3 (and Firehose when moto). */
  objectEmulator: 'moto' | 'fauxqs';
  /** Which emulator serves SQS. */
  sqsEmulator: 'moto' | 'fauxqs';
  /** The emulators' processes in start order: kinesalite, dynalite, moto or fauxqs, then fauxqs for SQS beside moto. */
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
  /**
   * Which emulator serves SQS when moto serves S3: moto (default) or
   * fauxqs. moto's queue does work proportional to its length on every
   * call, so runs that pile up thousands of dead letters (chaos, redrive)
   * are far faster on fauxqs. Default: KL_LOCAL_SQS, else moto.
   */
  sqs?: 'moto' | 'fauxqs';
  /** Keep the emulators running after this process exits (for `npm run local-aws`). */
  detached?: boolean;
}

const require = createRequire(import.meta.url);

/**
 * A file inside an installed package, found through Node's module search
 * path. require.resolve cannot name it when the package's "exports" map
 * hides it (fauxqs exports only its ESM entry).
 */
function packageFile(pkg: string, file: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = join(dir, pkg, file);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${pkg} is not installed (looked for ${pkg}/${file}); run npm ci`);
}

/**
 * kinesalite's CLI has no --host and listens on every interface; through its
 * module API it listens on 127.0.0.1 only, like the other emulators. Run with
 * `node -e` (CommonJS), the port as its argument; a port taken makes it exit.
 */
function kinesaliteMain(): string {
  // Resolved when the stack starts, not when this module loads: kinesalite is a dev dependency.
  return `
const server = require(${JSON.stringify(require.resolve('kinesalite'))})({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
server.on('error', (err) => { console.error(err.message); process.exit(1); });
server.listen(Number(process.argv[1]), '127.0.0.1', () => console.log('Listening at http://127.0.0.1:' + server.address().port));
`;
}

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

async function waitForHttp(url: string, name: string, child: ChildProcess, logFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // It may have exited already, while the caller awaited something else.
  let exited = child.exitCode !== null || child.signalCode !== null;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new EmulatorExitedError(`${name} exited during start-up; see its log, ${logFile}`);
    try {
      const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not become ready at ${url} within ${timeoutMs} ms; see its log, ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function fauxqsProcess(logDir: string, port: number, detached: boolean): ChildProcess {
  return startProcess(
    process.execPath,
    [packageFile('fauxqs', 'dist/cli.js')],
    join(logDir, `fauxqs-${port}.log`),
    // No FAUXQS_HOST: it would name queue URLs sqs.<region>.127.0.0.1, which is no valid URL host; without it they name the host asked.
    { ...process.env, FAUXQS_PORT: String(port), FAUXQS_LOGGER: 'false' },
    detached,
  );
}

/** One more fauxqs, on its own port, for SQS only (the test setup gives it to the runs that pile up dead letters). */
export function startFauxqsSqs(logDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  return withFreshPorts(() => startFauxqsSqsOnce(logDir));
}

async function startFauxqsSqsOnce(logDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  mkdirSync(logDir, { recursive: true });
  const port = await freePort();
  const child = fauxqsProcess(logDir, port, false);
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const stop = (): Promise<void> => {
    process.off('exit', killOnExit);
    return stopChild(child);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`, 'fauxqs', child, join(logDir, `fauxqs-${port}.log`));
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/** KL_LOCAL_SQS: the SQS emulator to use beside moto. */
function sqsFromEnv(): 'moto' | 'fauxqs' | undefined {
  const v = process.env.KL_LOCAL_SQS;
  if (v === undefined || v === '') return undefined;
  if (v === 'moto' || v === 'fauxqs') return v;
  throw new Error(`KL_LOCAL_SQS must be moto or fauxqs, got ${JSON.stringify(v)}`);
}

/** An emulator that exited before it answered: most often its port was taken after freePort chose it. */
export class EmulatorExitedError extends Error {}

/**
 * freePort closes its probe before the emulator binds the port (moto takes
 * about a second to start), so another process can take the port in between;
 * the emulator then exits. Such a start is tried again, on fresh ports.
 */
export async function withFreshPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof EmulatorExitedError) || attempt >= attempts) throw err;
    }
  }
}

export function startLocalAws(options: StartOptions): Promise<LocalAwsStack> {
  return withFreshPorts(() => startLocalAwsOnce(options));
}

async function startLocalAwsOnce(options: StartOptions): Promise<LocalAwsStack> {
  mkdirSync(options.logDir, { recursive: true });
  const detached = options.detached ?? false;
  const children: ChildProcess[] = [];
  // Emulators this process started die with it, however it ends (a crash, process.exit): orphans would keep
  // their ports and memory. A detached stack (`local-aws`) is meant to outlive its starter.
  const killOnExit = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  if (!detached) process.on('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await Promise.all(children.map((c) => stopChild(c)));
  };
  try {
    const [kPort, dPort, oPort] = [await freePort(), await freePort(), await freePort()];
    const kinesalite = startProcess(process.execPath, ['-e', kinesaliteMain(), String(kPort)], join(options.logDir, 'kinesalite.log'), process.env, detached);
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
    const sqsChoice = options.sqs ?? sqsFromEnv();
    const sqsOnFauxqs = !useMoto || sqsChoice === 'fauxqs';
    const startFauxqs = (port: number): ChildProcess => fauxqsProcess(options.logDir, port, detached);
    const objects = useMoto ? startProcess('moto_server', ['-H', '127.0.0.1', '-p', String(oPort)], join(options.logDir, 'moto.log'), process.env, detached) : startFauxqs(oPort);
    children.push(objects);
    // With moto serving S3, a separate fauxqs serves SQS when asked to.
    const qPort = useMoto && sqsOnFauxqs ? await freePort() : oPort;
    const queues = qPort === oPort ? undefined : startFauxqs(qPort);
    if (queues) children.push(queues);

    const k = `http://127.0.0.1:${kPort}`;
    const d = `http://127.0.0.1:${dPort}`;
    const o = `http://127.0.0.1:${oPort}`;
    const q = `http://127.0.0.1:${qPort}`;
    await Promise.all([
      waitForHttp(k, 'kinesalite', kinesalite, join(options.logDir, 'kinesalite.log')),
      waitForHttp(d, 'dynalite', dynalite, join(options.logDir, 'dynalite.log')),
      waitForHttp(useMoto ? `${o}/moto-api/` : `${o}/health`, useMoto ? 'moto_server' : 'fauxqs', objects, join(options.logDir, useMoto ? 'moto.log' : `fauxqs-${oPort}.log`)),
      ...(queues ? [waitForHttp(`${q}/health`, 'fauxqs', queues, join(options.logDir, `fauxqs-${qPort}.log`))] : []),
    ]);
    const endpoints: LocalAwsEndpoints = { kinesis: k, dynamodb: d, s3: o, sqs: q, firehose: useMoto ? o : undefined, secretsManager: useMoto ? o : undefined };
    return {
      endpoints,
      objectEmulator: useMoto ? 'moto' : 'fauxqs',
      sqsEmulator: sqsOnFauxqs ? 'fauxqs' : 'moto',
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
  if (endpoints.secretsManager) env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoints.secretsManager;
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
