import { http } from '#edge/http';
import { qrReply } from './pay-qr.ts';

/** GET /pay/{slug}/qr.svg — the link's URL as a QR code (SVG). */
export const handler = http({ ignoreInput: true }, async ({ event }) => qrReply(event, 'svg'));
