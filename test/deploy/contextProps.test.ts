/** CDK context (strings from -c, JSON from cdk.json) becomes checked stack properties. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { propsFromContext } from '../../deploy/ecs/lib/contextProps.js';
import { streamNameOf } from '../../deploy/ecs/lib/stackProps.js';

const cdkJson = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'ecs', 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
};

function reader(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

describe('propsFromContext', () => {
  it('reads cdk.json defaults plus command-line strings', () => {
    const props = propsFromContext(reader({ ...cdkJson.context, streamName: 'clicks', shardCount: '12', shardsPerTask: '3', maxTasks: '8', image: 'repo/img:1' }));
    expect(props.stream).toEqual({ kind: 'create', name: 'clicks', shardCount: 12 });
    expect(props.shardsPerTask).toBe(3);
    expect(props.maxTasks).toBe(8);
    expect(props.image).toBe('repo/img:1');
    expect(props.appName).toBe(cdkJson.context.appName);
    expect(props.cpu).toBe(cdkJson.context.cpu);
  });

  it('imports a stream by ARN, with its key', () => {
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
    const props = propsFromContext(reader({ streamArn: arn, streamKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k', importLeaseTable: 'true' }));
    expect(props.stream).toEqual({ kind: 'import', arn, encryptionKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' });
    expect(streamNameOf(props.stream)).toBe('orders');
    expect(props.importLeaseTable).toBe(true);
  });

  it('rejects missing or contradictory stream settings and bad numbers', () => {
    expect(() => propsFromContext(reader({}))).toThrow(/streamName/);
    expect(() => propsFromContext(reader({ streamName: 'a', streamArn: 'arn:aws:kinesis:x:123456789012:stream/a' }))).toThrow(/not both/);
    expect(() => propsFromContext(reader({ streamName: 'a', shardsPerTask: '0' }))).toThrow(/shardsPerTask/);
    expect(() => propsFromContext(reader({ streamName: 'a', cpu: 'lots' }))).toThrow(/cpu/);
    expect(() => propsFromContext(reader({ streamName: 'a', importLeaseTable: 'yes please' }))).toThrow(/importLeaseTable/);
    expect(() => streamNameOf({ kind: 'import', arn: 'arn:aws:sqs:x:123456789012:q' })).toThrow(/not a Kinesis stream ARN/);
  });

  it('runs the app through tsx, which the repository installs', () => {
    expect(cdkJson.app).toMatch(/tsx bin\/app\.ts$/);
    const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    for (const dep of ['tsx', 'aws-cdk-lib', 'constructs']) expect(pkg.devDependencies).toHaveProperty(dep);
  });
});
