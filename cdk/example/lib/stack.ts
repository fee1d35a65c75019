import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { SyscageFunction, SyscageLayer } from 'syscage-cdk';

export interface HelloStackProps extends StackProps {
  /** The layer zip `make layer ARCH=x86_64` built in a syscage checkout. */
  readonly layerZip: string;
}

/** One function sandboxed by syscage: its code and profile in function/, an alarm on its violations. */
export class HelloStack extends Stack {
  constructor(scope: Construct, id: string, props: HelloStackProps) {
    super(scope, id, props);

    const syscage = new SyscageLayer(this, 'Syscage', {
      zip: props.layerZip,
      architecture: lambda.Architecture.X86_64,
    });

    const alerts = new sns.Topic(this, 'SecurityAlerts');

    new SyscageFunction(this, 'Hello', {
      syscage,                      // provided.al2023, x86_64, the layer attached
      code: 'function',             // runtime.mjs and syscage.yaml (its command: starts runtime.mjs)
      memorySize: 512,
      timeout: Duration.seconds(15),
      violationsAlarm: { threshold: 0, topic: alerts },
    });
  }
}
