import { loadConfig } from '../config/loadConfig.js';
import { startService } from '../service.js';

/** `kinesis-lake run`: the long-running service (what ECS starts). */
export async function runCommand(options: { configFile: string | undefined }): Promise<number> {
  const config = loadConfig(process.env, options.configFile);
  const service = await startService(config);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        service.logger.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      service.logger.info({ signal }, 'signal received: stopping');
      void service.close().then(() => resolve(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
