import { execFileSync } from 'node:child_process';
import { linkPath } from '#core/identity';
import { fileURLToPath } from 'node:url';
import { CfnOutput, DockerImage, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CfFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

export interface DashboardSiteProps {
  readonly api: HttpApi;
  readonly retainLogs: boolean;
}

/** Paths of the links PayBridge emails: the dashboard's own pages. */
const dashboardLinkPaths = Object.values(linkPath);

/**
 * The dashboard's CSP: this origin only (the API shares it under `/v1/*`, the payment-link pages and
 * their QR codes under `/pay/*`). Same as the local stack's.
 */
export const dashboardCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * The merchant dashboard in the cloud: its static build in a private, encrypted S3 bucket read
 * by CloudFront through origin access control, and the HTTP API as a second origin under `/v1/*`
 * (and `/pay/*`, the hosted payment-link pages and QR codes), so the dashboard and the API share one
 * origin (no CORS, the CSP allows only `'self'`).
 * The bundle is built by the local Vite at synth (no Docker), like the functions' esbuild.
 */
export class DashboardSite extends Construct {
  readonly distribution: Distribution;
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    const removalPolicy = props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // CloudFront standard logs and S3 access logs; CloudFront writes with ACLs, hence OBJECT_WRITER.
    const logs = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
      autoDeleteObjects: !props.retainLogs,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });
    // Rebuildable content (every deploy uploads it again): stateless, so it lives in the API stack.
    this.bucket = new Bucket(this, 'Assets', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: asBucket(logs),
      serverAccessLogsPrefix: 's3/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: dashboardCsp, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    // `https://<id>.execute-api.<region>.amazonaws.com` → its host name.
    const apiDomain = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    const apiOrigin = new HttpOrigin(apiDomain, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'PayBridge merchant dashboard and API on one origin',
      defaultRootObject: 'index.html',
      priceClass: PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: asBucket(logs),
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(asBucket(this.bucket)),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        // The emailed links (`/verify-email#token=…`, `/reset-password#token=…`) open the dashboard,
        // which routes them in the browser: the bucket holds only index.html for them.
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new CfFunction(this, 'LinkPages', {
              comment: 'Serves index.html at the paths of the links PayBridge emails',
              runtime: FunctionRuntime.JS_2_0,
              code: FunctionCode.fromInline(
                `function handler(event) { var r = event.request; if (${JSON.stringify(
                  dashboardLinkPaths,
                )}.indexOf(r.uri) !== -1) { r.uri = '/index.html'; } return r; }`,
              ),
            }),
          },
        ],
      },
      additionalBehaviors: {
        // The API, uncached, with every header but Host (API Gateway routes by its own host name).
        '/v1/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
        // The hosted payment-link pages and their QR codes, so the dashboard shows a link's QR from
        // its own origin (`img-src 'self'`). Uncached: each page carries a one-time form token. No
        // response-headers policy: the page sends its own strict CSP, not the dashboard's. A customer
        // who types http:// is sent to https://; the form posts, hence every method.
        '/pay/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-CFR1',
        reason: 'Merchants sign in from anywhere; no country is excluded.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR2',
        reason:
          'No WAF yet: the API limits sign-in per IP and API Gateway throttles; a web ACL is a cost decision for prod.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate cannot pin a minimum TLS version; a custom domain with its own certificate sets TLSv1.2_2021.',
      },
    );

    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [
        Source.asset(`${repo}dashboard`, {
          exclude: ['dist', 'node_modules'],
          bundling: {
            // Never used: the local build below always answers (no Docker on our machines).
            image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
            local: {
              tryBundle(outputDir: string) {
                execFileSync(
                  `${repo}node_modules/.bin/vite`,
                  ['build', 'dashboard', '--outDir', outputDir, '--emptyOutDir', '--logLevel', 'warn'],
                  { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] },
                );
                return true;
              },
            },
          },
        }),
      ],
      destinationBucket: asBucket(this.bucket),
      distribution: this.distribution,
      distributionPaths: ['/index.html'],
      prune: true,
    });
    // The deployment's provider function belongs to the CDK: its grants, as cdk-nag names them.
    const stack = Stack.of(this);
    const assetsArn = `<${stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>`;
    const provider = stack.node.findAll().filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    const copies =
      'The CDK deployment provider copies the built dashboard from the CDK asset bucket into ours and prunes old files';
    for (const construct of [deployment, ...provider]) {
      Validations.of(construct).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "The CDK's deployment provider writes its own logs with the basic execution role.",
        },
        ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
          id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
          reason: `${copies} (${action}, the CDK's grant).`,
        })),
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${assetsArn}/*]`,
          reason: `${copies}: every key of the dashboard bucket.`,
        },
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
          reason: `${copies}: it reads the asset from the CDK bootstrap bucket.`,
        },
        {
          id: 'AwsSolutions::AwsSolutions-L1',
          reason: 'The CDK picks the runtime of its own deployment provider; a CDK upgrade moves it.',
        },
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'cloudfront:CreateInvalidation/GetInvalidation take no resource narrower than *; the provider invalidates /index.html after each upload.',
        },
      );
    }

    new CfnOutput(Stack.of(this), 'DashboardUrl', {
      description: 'The merchant dashboard (and the API under /v1/* on the same origin)',
      value: `https://${this.distribution.distributionDomainName}/`,
    });
  }
}

/**
 * aws-cdk-lib's `Bucket` declares `isWebsite?: boolean | undefined` where `IBucket` has
 * `isWebsite?: boolean`: identical at run time, refused by `exactOptionalPropertyTypes`.
 */
function asBucket(bucket: Bucket): IBucket {
  return bucket as IBucket;
}
