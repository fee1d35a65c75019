// The example app: `cdk synth` in cdk/example (cdk.json runs the compiled app). The layer zip
// is syscage's dist/syscage-layer-x86_64.zip unless `-c layerZip=FILE` names another.
import { App } from 'aws-cdk-lib';
import { HelloStack } from '../lib/stack.js';

const app = new App();
new HelloStack(app, 'SyscageHello', {
  layerZip: app.node.tryGetContext('layerZip') ?? '../../dist/syscage-layer-x86_64.zip',
});
