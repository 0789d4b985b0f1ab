import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { http, type SpecifiedHandler } from '#edge/http';
import { qrReply } from './pay-qr.ts';

const inner = http({ ignoreInput: true }, async ({ event }) => qrReply(event, 'png'));

/**
 * GET /pay/{slug}/qr.png — the link's URL as a QR code (PNG, 8 pixels a module).
 * The wrapper answers text; a PNG goes back base64-encoded, flagged for API Gateway.
 */
export const handler: SpecifiedHandler<
  undefined,
  Record<string, never>,
  Record<string, string>
> = Object.assign(
  async (...args: Parameters<typeof inner>): Promise<APIGatewayProxyStructuredResultV2> => {
    const result = await inner(...args);
    return result.headers?.['content-type'] === 'image/png' ? { ...result, isBase64Encoded: true } : result;
  },
  { spec: inner.spec },
);
