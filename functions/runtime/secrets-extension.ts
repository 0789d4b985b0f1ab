/**
 * A Secrets Manager secret's text through the AWS Parameters and Secrets Lambda Extension: a localhost
 * HTTP call (`GET /secretsmanager/get`, authenticated with the function's session token) with the
 * extension's own short cache, set by the stack. It keeps the Secrets Manager SDK client out of every
 * bundle. Used for the JWT key sets (edge/jwt.ts) and the webhook-token keys (app/webhook-tokens.ts).
 */
export async function readSecretFromExtension(secretId: string): Promise<string | undefined> {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
  const res = await fetch(
    `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
    {
      headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
      signal: AbortSignal.timeout(3000),
    },
  );
  if (!res.ok) return undefined;
  return ((await res.json()) as { SecretString?: string }).SecretString;
}
