/**
 * CDK app: `npx cdk synth|deploy` from deploy/ecs (cdk.json runs this file
 * with tsx). Parameters come from context; see docs/deploy.md.
 */
import { App } from 'aws-cdk-lib';
import { propsFromContext } from '../lib/contextProps.js';
import { KinesisLakeStack } from '../lib/kinesisLakeStack.js';

const app = new App();
const props = propsFromContext((key) => app.node.tryGetContext(key));
new KinesisLakeStack(app, String(app.node.tryGetContext('stackName') ?? props.appName), {
  ...props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
