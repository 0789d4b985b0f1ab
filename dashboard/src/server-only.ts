/**
 * Stands in for `node:crypto` in the browser bundle. The typed client's `verifyWebhook` uses it,
 * and that function belongs on a merchant's server: the dashboard never calls it, so the bundler
 * drops it; anything that did would fail loudly here instead of signing with nothing.
 */
const serverOnly = (): never => {
  throw new Error('node:crypto is not available in the dashboard');
};
export const createHmac = serverOnly;
export const randomBytes = serverOnly;
export const timingSafeEqual = serverOnly;
