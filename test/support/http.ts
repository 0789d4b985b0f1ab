import { afterAll, beforeAll } from 'vitest';
import { type LocalApi, startApi } from '#local/api-server';

/** Starts the local API server (the real route table and handlers) for one test file. */
export function useApi(): {
  url: () => string;
  request: (path: string, init?: RequestInit) => Promise<Response>;
} {
  let api: LocalApi | undefined;
  beforeAll(async () => {
    api = await startApi(0);
    // Webhook URLs handed to merchants are built from it.
    process.env.PUBLIC_BASE_URL = api.url;
  });
  afterAll(async () => {
    await api?.stop();
  });
  const url = () => {
    if (!api) throw new Error('API server not started');
    return api.url;
  };
  return { url, request: (path, init) => fetch(`${url()}${path}`, init) };
}
