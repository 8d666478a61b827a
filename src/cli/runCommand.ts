import { loadConfig, unknownVariables } from '../config/loadConfig.js';
import { createLogger } from '../log.js';
import { startProcessorPool } from '../processors/pool.js';
import type { Service } from '../service.js';

/**
 * `kinesis-lake run`: the long-running service (what ECS starts). The signal
 * handlers are installed before start-up, so a stop that arrives while the
 * service is still starting (an ECS deployment rolled back, a scale-in) is a
 * clean exit 0 once start-up is done, not a kill by signal. Start-up that is
 * still retrying (an endpoint down) when KL_SHUTDOWN_TIMEOUT_MS has passed
 * after the stop exits 1: nothing was checkpointed yet, so nothing is lost.
 * A second signal exits 1 at once, whatever is under way.
 */
export async function runCommand(options: { configFile: string | undefined }): Promise<number> {
  const config = loadConfig(process.env, options.configFile);
  // Until the service has its own logger (it adds the worker id).
  const startupLogger = createLogger({ level: config.logLevel });
  for (const { name, hint } of unknownVariables(process.env)) startupLogger.warn({ variable: name }, `${name} is not a setting of kinesis-lake and is ignored: ${hint}`);
  // Set once start-up is done; the signal handlers below run before that too.
  const started: { service?: Service } = {};
  let stopRequested: NodeJS.Signals | undefined;
  let startupDeadline: NodeJS.Timeout | undefined;
  let resolveExit: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => (resolveExit = resolve));
  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    const service = started.service;
    if (!service) return;
    service.logger.info({ signal }, 'signal received: stopping');
    void service.close().then(() => resolveExit(0));
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      (started.service?.logger ?? startupLogger).warn({ signal }, 'second signal: exiting now');
      // Before start-up is done nobody waits on `exit` yet.
      if (started.service) resolveExit(1);
      else process.exit(1);
      return;
    }
    if (started.service) {
      stop(signal);
      return;
    }
    stopRequested = signal;
    startupLogger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'signal received during start-up: stopping once it is done');
    startupDeadline = setTimeout(() => {
      startupLogger.warn({ signal, timeoutMs: config.shutdownTimeoutMs }, 'start-up not done within the shutdown timeout: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    startupDeadline.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The worker threads boot (modules, schemas) on the other cores while this thread loads the service and
  // its AWS SDK clients, rather than after (docs/performance.md, End to end, fourteenth session).
  const processorPool = startProcessorPool(config);
  processorPool.catch(() => undefined);
  const { startService } = await import('../service.js');
  started.service = await startService(config, { processorPool });
  clearTimeout(startupDeadline);
  if (stopRequested) stop(stopRequested);
  return exit;
}
