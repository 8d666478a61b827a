// Shard scaler: every minute, sets the ECS service's desired count to
// ceil(open shards / shards per task). Imports only the AWS SDK v3 that the
// Node.js Lambda runtime ships.
/* global process, console */
import { KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ECSClient, DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { limitsFromEnv, reconcile } from './scaling.mjs';

const kinesis = new KinesisClient({});
const ecs = new ECSClient({});

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export async function handler() {
  const streamArn = required('SCALER_STREAM_ARN');
  const cluster = required('SCALER_CLUSTER');
  const service = required('SCALER_SERVICE');
  const aws = {
    // StreamARN and NextToken are mutually exclusive in ListShards.
    listShards: (input) =>
      kinesis.send(new ListShardsCommand('nextToken' in input ? { NextToken: input.nextToken } : { StreamARN: streamArn })),
    describeService: async () => {
      const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const found = out.services?.[0];
      if (!found) throw new Error(`service ${service} not found in ${cluster}: ${JSON.stringify(out.failures ?? [])}`);
      return { desiredCount: found.desiredCount };
    },
    updateDesiredCount: async (desired) => {
      await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: desired }));
    },
  };
  const result = await reconcile(aws, limitsFromEnv(process.env));
  console.log(JSON.stringify({ msg: 'shard scaler', streamArn, service, ...result }));
  return result;
}
