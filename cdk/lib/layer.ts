// SyscageLayer: the syscage Lambda layer for one architecture, from the zip `make layer` builds,
// or a layer version already published.
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** A syscage layer version and the architecture it was built for. */
export interface ISyscageLayer {
  /** The layer version to attach to a function. */
  readonly layerVersion: lambda.ILayerVersion;
  /**
   * The architecture the layer was built for. It carries native code (Node.js, koffi's addon), so
   * a function that uses it must have this architecture: SyscageFunction takes it from here.
   */
  readonly architecture: lambda.Architecture;
}

/** Properties of a SyscageLayer. */
export interface SyscageLayerProps {
  /**
   * The layer zip, as `make layer ARCH=<arch>` builds it in a syscage checkout:
   * `dist/syscage-layer-x86_64.zip` or `dist/syscage-layer-arm64.zip`. A relative path is taken
   * from the current directory (for `cdk synth`, the directory of cdk.json).
   */
  readonly zip: string;
  /**
   * The architecture the zip was built for (its `ARCH=`).
   * @default lambda.Architecture.X86_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * The layer's name.
   * @default a name CloudFormation generates
   */
  readonly layerVersionName?: string;
  /**
   * The layer version's description.
   * @default "syscage: the runtime sandbox's custom-runtime bootstrap (<arch>)"
   */
  readonly description?: string;
  /**
   * What happens to the layer version when it is replaced or leaves the stack.
   * @default the CDK's default for a LayerVersion (DESTROY)
   */
  readonly removalPolicy?: RemovalPolicy;
}

const ARCHES: Record<string, lambda.Architecture> = { x86_64: lambda.Architecture.X86_64, arm64: lambda.Architecture.ARM_64 };

/**
 * The syscage Lambda layer for one architecture: a LayerVersion for `provided.al2023`, with that
 * single compatible architecture. Create one per architecture you deploy. The layer provides
 * `/opt/bootstrap` (syscage's custom-runtime bootstrap), `/opt/bin/node` and the shipped profiles
 * in `/opt/syscage/profiles/`.
 */
export class SyscageLayer extends Construct implements ISyscageLayer {
  /**
   * A syscage layer version already published (for example with `aws lambda publish-layer-version`).
   * @param layerVersionArn its LayerVersionArn, `arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION`
   * @param architecture the architecture it was built for
   */
  static fromLayerVersionArn(scope: Construct, id: string, layerVersionArn: string, architecture: lambda.Architecture): ISyscageLayer {
    return { layerVersion: lambda.LayerVersion.fromLayerVersionArn(scope, id, layerVersionArn), architecture };
  }

  readonly layerVersion: lambda.ILayerVersion;
  readonly architecture: lambda.Architecture;

  constructor(scope: Construct, id: string, props: SyscageLayerProps) {
    super(scope, id);
    this.architecture = props.architecture ?? lambda.Architecture.X86_64;
    const arch = this.architecture.name;
    const zip = resolve(props.zip);
    let code: lambda.Code;
    const problem = !existsSync(zip) ? `the syscage layer zip ${zip} does not exist: build it in a syscage checkout with \`make layer ARCH=${arch}\``
      : !statSync(zip).isFile() ? `the syscage layer zip ${zip} is not a file: give the zip \`make layer ARCH=${arch}\` builds (dist/syscage-layer-${arch}.zip)`
        : undefined;
    const named = /^syscage-layer-(x86_64|arm64)\.zip$/.exec(basename(zip))?.[1];
    if (problem) {
      Annotations.of(this).addError(`syscage: ${problem}`);
      // Synthesis fails on the error above; this stands in for the code so that the rest of the tree can be built.
      code = lambda.Code.fromCfnParameters();
    } else {
      if (named && ARCHES[named] !== this.architecture) {
        Annotations.of(this).addError(`syscage: the syscage layer zip ${basename(zip)} is built for ${named}, and the layer's architecture is ${arch}: `
          + `give architecture: lambda.Architecture.${named === 'arm64' ? 'ARM_64' : 'X86_64'}, or the ${arch} zip`);
      }
      code = lambda.Code.fromAsset(zip);
    }
    this.layerVersion = new lambda.LayerVersion(this, 'Layer', {
      code,
      compatibleRuntimes: [lambda.Runtime.PROVIDED_AL2023],
      compatibleArchitectures: [this.architecture],
      description: props.description ?? `syscage: the runtime sandbox's custom-runtime bootstrap (${arch})`,
      ...(props.layerVersionName !== undefined ? { layerVersionName: props.layerVersionName } : {}),
      ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
    });
  }
}
