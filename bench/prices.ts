/**
 * AWS public on-demand prices, us-east-1, for the cost benchmark (bench/cost.ts).
 *
 * Prices as published on the AWS pricing pages below as of June 2025 (the
 * DynamoDB on-demand figures are those in force since the 1 November 2024
 * price cut). They were not re-checked on the day of the run: the bench machine
 * has no internet access. Check the pages before quoting a figure, and update
 * `asOf` with the prices. Free tiers are left out on purpose: they are per
 * account, not per payment.
 */
export const prices = {
  region: 'us-east-1',
  asOf: '2025-06 (AWS pricing pages; not re-checked on the run date)',
  sources: [
    'https://aws.amazon.com/api-gateway/pricing/',
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    'https://aws.amazon.com/sqs/pricing/',
    'https://aws.amazon.com/kms/pricing/',
    'https://aws.amazon.com/cloudwatch/pricing/',
  ],
  /** HTTP API, per million requests (first 300 million a month; each 512 KB counts as one). */
  apiGatewayHttpPerMillion: 1.0,
  /** Lambda requests, per million. */
  lambdaRequestsPerMillion: 0.2,
  /** Lambda duration, arm64, per GB-second (first 7.5 billion GB-s a month). Billed per 1 ms. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand, standard table class, per million write request units. */
  dynamoWriteUnitsPerMillion: 0.625,
  /** DynamoDB on-demand, standard table class, per million read request units. */
  dynamoReadUnitsPerMillion: 0.125,
  /** SQS standard queue, per million requests (each 64 KB chunk of a payload counts as one). */
  sqsRequestsPerMillion: 0.4,
  /** KMS symmetric-key API requests (Decrypt, GenerateDataKey), per 10,000. */
  kmsRequestsPer10k: 0.03,
  /** CloudWatch Logs ingestion, standard class, per GB. */
  logsIngestionPerGb: 0.5,
} as const;

/**
 * Assumptions for the cloud-latency model of Lambda duration: the local stack
 * answers in about a millisecond; in a region a call takes longer, and Lambda
 * bills the wait. Round, typical figures for calls within one region (provider
 * and merchant endpoints over the internet), not measurements.
 */
export const cloudLatencyMs = {
  /** DynamoDB single-item request from Lambda, same region. */
  dynamodb: 5,
  /** DynamoDB TransactWriteItems (two-phase: slower than a single write). */
  dynamodbTransaction: 12,
  /** SQS SendMessage / SendMessageBatch from Lambda. */
  sqs: 10,
  /** A payment provider's API (initialize, verify) over the internet. */
  provider: 400,
  /** A merchant's webhook endpoint answering 2xx. */
  merchantEndpoint: 250,
  /** KMS Decrypt when a secret is not in the function's cache. */
  kmsDecrypt: 8,
} as const;

/**
 * Lambda gives a function CPU in proportion to its memory: one full vCPU at
 * 1,769 MB. At 512 MB the CPU-bound part of an invocation (what is left of the
 * local duration once the waits are taken out) is scaled by 1769/512 ≈ 3.5,
 * taking one core of the bench machine as one Lambda vCPU (arm64 Graviton
 * against this x64 machine is not measured here).
 */
export const lambdaFullVcpuMb = 1769;

/**
 * CloudWatch Logs bytes Lambda itself writes per invocation with the JSON log
 * format (platform.start and platform.report records), beyond the function's own lines.
 */
export const platformLogBytesPerInvocation = 500;
