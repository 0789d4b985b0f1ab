import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { dashboardCsp as localCsp } from '#local/dashboard';
import { fallback, routes, scheduledWorkers, workers } from '#routes';
import { buildApp } from '../../lib/app.ts';
import { dashboardCsp } from '../../lib/dashboard-site.ts';

let api: Template;
let data: Template;

beforeAll(() => {
  // No asset bundling (`aws:cdk:bundling-stacks`): these assertions read the template, not the code, and
  // bundling every function three times over made this file the slowest of the suite.
  const built = buildApp({ app: new App({ context: { stage: 'test', 'aws:cdk:bundling-stacks': [] } }) });
  built.app.synth(); // cdk-nag: throws on any unacknowledged finding
  api = Template.fromStack(built.api);
  data = Template.fromStack(built.data);
});

type Resource = { Properties: Record<string, unknown> };

describe('dashboard site (S3 + CloudFront)', () => {
  it('keeps the assets in a private, encrypted, TLS-only bucket of the stateless stack', () => {
    api.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 's3/' }),
    });
    api.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    data.resourceCountIs('AWS::S3::Bucket', 0);
    data.resourceCountIs('AWS::CloudFront::Distribution', 0);
  });

  it('serves the bucket through origin access control, and the API under /v1/* and the payment-link pages under /pay/* on the same origin', () => {
    api.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const [distribution] = Object.values(
      api.findResources('AWS::CloudFront::Distribution') as Record<string, Resource>,
    );
    const config = distribution?.Properties.DistributionConfig as {
      DefaultRootObject: string;
      DefaultCacheBehavior: { ViewerProtocolPolicy: string };
      CacheBehaviors: {
        PathPattern: string;
        TargetOriginId: string;
        AllowedMethods: string[];
        ViewerProtocolPolicy: string;
        CachePolicyId: string;
      }[];
      Origins: {
        Id: string;
        S3OriginConfig?: { OriginAccessIdentity: string };
        CustomOriginConfig?: { OriginProtocolPolicy: string; OriginSSLProtocols: string[] };
      }[];
      Logging: unknown;
    };
    expect(config.DefaultRootObject).toBe('index.html');
    const apiOriginId = config.Origins.find((o) => o.CustomOriginConfig)?.Id;
    expect(apiOriginId).toBeDefined();
    expect(config.Origins.filter((o) => o.CustomOriginConfig)).toHaveLength(1);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.CacheBehaviors).toEqual([
      expect.objectContaining({
        PathPattern: '/v1/*',
        TargetOriginId: apiOriginId,
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: expect.arrayContaining(['POST', 'PUT', 'PATCH', 'DELETE']),
        // CachingDisabled: API answers are never cached at the edge.
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      }),
      // The hosted payment-link pages and their QR codes on the dashboard's origin too (the dashboard
      // shows a link's QR under `img-src 'self'`): the API origin, uncached (one-time form tokens),
      // POST allowed, and no response-headers policy (the page sends its own CSP, not the dashboard's).
      expect.objectContaining({
        PathPattern: '/pay/*',
        TargetOriginId: apiOriginId,
        ViewerProtocolPolicy: 'redirect-to-https',
        AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'POST']),
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      }),
    ]);
    expect(config.CacheBehaviors[1]).not.toHaveProperty('ResponseHeadersPolicyId');
    expect(config.CacheBehaviors.map((b) => b.TargetOriginId)).toEqual([apiOriginId, apiOriginId]);
    expect(config.Origins.find((o) => o.CustomOriginConfig)?.CustomOriginConfig).toEqual(
      expect.objectContaining({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] }),
    );
    expect(config.Logging).toBeDefined();
  });

  it('sends the same-origin CSP the local stack sends, and HSTS', () => {
    expect(dashboardCsp).toBe(localCsp);
    api.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: dashboardCsp, Override: true },
          StrictTransportSecurity: Match.objectLike({ Override: true }),
          FrameOptions: { FrameOption: 'DENY', Override: true },
        }),
      },
    });
  });

  it('uploads the Vite build and outputs the dashboard URL', () => {
    api.resourceCountIs('Custom::CDKBucketDeployment', 1);
    api.hasOutput('DashboardUrl', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.anyValue(), 'DomainName'] }, '/']] },
    });
  });
});

describe('the emailed links', () => {
  it('open the dashboard: a viewer-request function serves index.html at their paths, and nothing else moves', () => {
    const fns = Object.values(api.findResources('AWS::CloudFront::Function') as Record<string, Resource>);
    expect(fns).toHaveLength(1);
    const code = String(fns[0]?.Properties.FunctionCode);
    const run = new Function(`${code}; return handler;`)() as (e: { request: { uri: string } }) => {
      uri: string;
    };
    expect(run({ request: { uri: '/verify-email' } }).uri).toBe('/index.html');
    expect(run({ request: { uri: '/reset-password' } }).uri).toBe('/index.html');
    expect(run({ request: { uri: '/assets/app.js' } }).uri).toBe('/assets/app.js');
    expect(run({ request: { uri: '/verify-email/x' } }).uri).toBe('/verify-email/x');
    api.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({
          FunctionAssociations: [Match.objectLike({ EventType: 'viewer-request' })],
        }),
      }),
    });
  });

  it('point at the dashboard’s domain when the deploy names it (`-c publicBaseUrl=…`)', () => {
    const named = buildApp({
      app: new App({
        context: {
          stage: 'links',
          'aws:cdk:bundling-stacks': [],
          publicBaseUrl: 'https://pay.example.com',
        },
      }),
    });
    const fns = Object.values(
      Template.fromStack(named.api).findResources('AWS::Lambda::Function') as Record<string, Resource>,
    ).filter(
      (fn) => 'PAYBRIDGE_STAGE' in ((fn.Properties.Environment as { Variables?: object })?.Variables ?? {}),
    );
    // Every function the app deploys: each row's, the `$default` fallback's and the workers'.
    const handlers = new Set([
      ...routes.map((r) => r.handler),
      fallback.handler,
      ...workers.map((w) => w.handler),
      ...scheduledWorkers.map((w) => w.handler),
    ]);
    expect(fns).toHaveLength(handlers.size);
    for (const fn of fns) {
      expect(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.PUBLIC_BASE_URL,
      ).toBe('https://pay.example.com');
    }
  });
});
