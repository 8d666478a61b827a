import { loadConfig } from '../config/loadConfig.js';
import { startService, type Service } from '../service.js';

/**
 * `kinesis-lake run`: the long-running service (what ECS starts). The signal
 * handlers are installed before start-up, so a stop that arrives while the
 * service is still starting (an ECS deployment rolled back, a scale-in) is a
 * clean exit 0 once start-up is done, not a kill by signal.
 */
export async function runCommand(options: { configFile: string | undefined }): Promise<number> {
  const config = loadConfig(process.env, options.configFile);
  // Set once start-up is done; the signal handlers below run before that too.
  const started: { service?: Service } = {};
  let stopRequested: NodeJS.Signals | undefined;
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
      started.service?.logger.warn({ signal }, 'second signal: exiting now');
      resolveExit(1);
      return;
    }
    if (started.service) stop(signal);
    else stopRequested = signal;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  started.service = await startService(config);
  if (stopRequested) stop(stopRequested);
  return exit;
}
