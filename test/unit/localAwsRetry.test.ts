import { describe, expect, it } from 'vitest';
import { EmulatorExitedError, withFreshPorts } from '../../src/local/localAws.js';

describe('starting the local stack again on fresh ports', () => {
  it('tries again when an emulator exited during start-up, up to the attempts given', async () => {
    let calls = 0;
    const started = await withFreshPorts(async () => {
      calls++;
      if (calls < 3) throw new EmulatorExitedError('kinesalite exited during start-up');
      return 'stack';
    }, 3);
    expect(started).toBe('stack');
    expect(calls).toBe(3);

    calls = 0;
    const failing = withFreshPorts(async () => {
      calls++;
      throw new EmulatorExitedError('moto_server exited during start-up');
    }, 2);
    await expect(failing).rejects.toThrow('moto_server exited during start-up');
    expect(calls).toBe(2);
  });

  it('does not retry other failures (a missing package, a timeout)', async () => {
    let calls = 0;
    await expect(
      withFreshPorts(async () => {
        calls++;
        throw new Error('kinesalite is not installed');
      }),
    ).rejects.toThrow('not installed');
    expect(calls).toBe(1);
  });
});
