import { describe, expect, it } from 'vitest';
import { rewriteHost } from '#local/sam';
import { stageOf } from '#local/sam-run';
import { credentialsFromEnv, fillPlaceholders, placeholders, placeholdersIn } from '#local/seed';

describe('rewriteHost', () => {
  it('points loopback URLs at the container host and leaves the rest alone', () => {
    expect(rewriteHost('http://127.0.0.1:8000', 'host.docker.internal')).toBe(
      'http://host.docker.internal:8000',
    );
    expect(rewriteHost('http://localhost:9324/000000000000/q', '172.17.0.1')).toBe(
      'http://172.17.0.1:9324/000000000000/q',
    );
    expect(rewriteHost('https://sqs.eu-west-1.amazonaws.com/1/q', 'host.docker.internal')).toBe(
      'https://sqs.eu-west-1.amazonaws.com/1/q',
    );
    expect(rewriteHost('', 'host.docker.internal')).toBe('');
  });
});

describe('sample placeholders', () => {
  const event = {
    headers: { authorization: `Bearer ${placeholders.apiKey}` },
    body: JSON.stringify({ email: placeholders.email, password: placeholders.password }),
  };

  it('fills every placeholder it has a credential for, in headers and in the JSON body string', () => {
    const filled = fillPlaceholders(event, { apiKey: 'sk_test_abc', email: 'a@b.co', password: 'pw' });
    expect(filled.headers.authorization).toBe('Bearer sk_test_abc');
    expect(JSON.parse(filled.body)).toEqual({ email: 'a@b.co', password: 'pw' });
    expect(placeholdersIn(JSON.stringify(filled))).toEqual([]);
  });

  it('leaves a placeholder without a credential, and names it', () => {
    const filled = fillPlaceholders(event, { apiKey: 'sk_test_abc' });
    expect(placeholdersIn(JSON.stringify(filled))).toEqual([placeholders.email, placeholders.password]);
  });

  it('takes a deployed stack’s credentials from the variables the placeholders name', () => {
    expect(credentialsFromEnv({ PAYBRIDGE_TEST_API_KEY: 'sk_test_x', PAYBRIDGE_ACCESS_TOKEN: '' })).toEqual({
      apiKey: 'sk_test_x',
    });
  });
});

describe('sam targets', () => {
  it('reads the stage from the API stack name, and the local stack uses the default stage', () => {
    expect(stageOf({ stack: 'local' })).toBe('dev');
    expect(stageOf({ stack: 'PayBridge-prod-Api' })).toBe('prod');
    expect(() => stageOf({ stack: 'PayBridge-prod-Data' })).toThrow(/PayBridge-<stage>-Api/);
  });
});
