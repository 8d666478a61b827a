/** Synthesizes the stack in-process (what `cdk synth` does) with test properties. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { KinesisLakeStack } from '../../deploy/ecs/lib/kinesisLakeStack.js';
import { DEFAULT_STACK_PROPS, type KinesisLakeStackProps } from '../../deploy/ecs/lib/stackProps.js';

export const TEST_ACCOUNT = '123456789012';
export const TEST_REGION = 'eu-west-1';

export function testProps(overrides: Partial<KinesisLakeStackProps> = {}): KinesisLakeStackProps {
  return {
    ...DEFAULT_STACK_PROPS,
    stream: { kind: 'create', name: 'clickstream', shardCount: 8 },
    appName: 'lake-test-app',
    // A registry image keeps the synth from staging the repository as a Docker asset.
    image: `${TEST_ACCOUNT}.dkr.ecr.${TEST_REGION}.amazonaws.com/kinesis-lake:test`,
    // The service tokenizes user_id and session_id by default and needs a key; tests that give one say so.
    environment: { KL_PII_FIELDS: 'none' },
    env: { account: TEST_ACCOUNT, region: TEST_REGION },
    ...overrides,
  };
}

export interface Synthesized {
  stack: KinesisLakeStack;
  template: Template;
}

export function synthStack(overrides: Partial<KinesisLakeStackProps> = {}): Synthesized {
  const app = new App();
  const stack = new KinesisLakeStack(app, 'KinesisLakeTest', testProps(overrides));
  return { stack, template: Template.fromStack(stack) };
}
