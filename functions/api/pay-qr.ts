import QRCode from 'qrcode';
import { linkUrls } from '#core/payment-links';
import type { HttpReply } from '#edge/http';
import { paymentLinks } from '#app/payment-links';
import { publicBaseUrl } from '#edge/request';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * The QR code of a link's URL (what `qrCodeUrl` points at), made with the
 * `qrcode` package: only the two QR routes import it. Cacheable for a day: the
 * URL of a link never changes, whatever its state.
 */
export async function qrReply(event: APIGatewayProxyEventV2, format: 'svg' | 'png'): Promise<HttpReply> {
  const found = await paymentLinks.publicLink(event.pathParameters?.slug);
  if (!found.found) return found.reply;
  const { url } = linkUrls(publicBaseUrl(event), found.link.slug);
  const headers = {
    'cache-control': 'public, max-age=86400',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  };
  if (format === 'svg') {
    const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    return { text: svg, headers: { ...headers, 'content-type': 'image/svg+xml' } };
  }
  const png = await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 8 });
  return { text: png.toString('base64'), headers: { ...headers, 'content-type': 'image/png' } };
}
