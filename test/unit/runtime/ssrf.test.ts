import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '#core/errors';
import type { AddressClass, Resolver, UrlPolicy } from '#runtime/ssrf';
import { checkWebhookUrl, classifyAddress, parseHost, resolveAndCheck } from '#runtime/ssrf';

const live: UrlPolicy = { mode: 'live', allowLoopback: false };
const testMode: UrlPolicy = { mode: 'test', allowLoopback: false };
const localStage: UrlPolicy = { mode: 'test', allowLoopback: true };

function refusal(run: () => unknown): ValidationFailed {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationFailed) return error;
    throw error;
  }
  throw new Error('expected a ValidationFailed');
}

async function asyncRefusal(run: () => Promise<unknown>): Promise<ValidationFailed> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ValidationFailed) return error;
    throw error;
  }
  throw new Error('expected a ValidationFailed');
}

/** A resolver answering from a table, standing in for DNS. */
function resolverOf(table: Record<string, string[]>): Resolver {
  return async (name) => {
    const answers = table[name];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    // IPv4
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.0.1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['192.0.0.8', 'reserved'],
    // IPv4 in the notations resolvers accept
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0x7f.0.0.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['10.1', 'private'],
    ['169.254.43518', 'metadata'],
    // IPv6
    ['2606:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:93.184.216.34', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::a00:1', 'private'],
    ['::93.184.216.34', 'reserved'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::93.184.216.34', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a00:1::1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:5db8:d822::1', 'public'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'metadata'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
  ])('classifies %s as %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each(['localhost', 'example.com', '', '1.2.3.4.5', '256.0.0.1', '::g', '1:2:3:4:5:6:7:8:9', '08.0.0.1'])(
    'refuses to classify %j, which is not an IP address',
    (text) => {
      expect(() => classifyAddress(text)).toThrow(TypeError);
    },
  );
});

describe('parseHost', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0x7F000001', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['127.000.000.001', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['10.1', '10.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['127.0.0.1.', '127.0.0.1'],
    ['%31%32%37.0.0.1', '127.0.0.1'],
    ['１２７.０.０.１', '127.0.0.1'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['93.184.216.34', '93.184.216.34'],
  ])('reads %s as the IPv4 address %s', (host, address) => {
    expect(parseHost(host)).toEqual({ kind: 'ipv4', address });
  });

  it.each([
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::FFFF:7F00:1]', '::ffff:7f00:1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[2606:4700:0:0:0:0:0:1111]', '2606:4700::1111'],
  ])('reads %s as the IPv6 address %s', (host, address) => {
    expect(parseHost(host)).toEqual({ kind: 'ipv6', address });
  });

  it.each([
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['hooks.merchant.co.ke', 'hooks.merchant.co.ke'],
    ['127.0.0.1.nip.io', '127.0.0.1.nip.io'],
    ['0x7f.example.com', '0x7f.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
  ])('reads %s as the host name %s', (host, name) => {
    expect(parseHost(host)).toEqual({ kind: 'name', name });
  });

  it.each([
    '',
    '1.2.3.4.5',
    '256.0.0.1',
    '4294967296',
    '0x100000000',
    '99999999999999999999999',
    '08.0.0.1',
    '0x7g.0.0.1',
    'a.b.0x7f',
    'example.com.1',
    '127.0.0.1 ',
    ' 127.0.0.1',
    '127.0.0.1\tfoo',
    'evil.com@127.0.0.1',
    'example.com:80',
    'example.com/path',
    '[::1',
    '[fe80::1%25eth0]',
    'exa!mple.com',
  ])('refuses %j as url_invalid', (host) => {
    const error = refusal(() => parseHost(host));
    expect(error.code).toBe('url_invalid');
  });
});

describe('checkWebhookUrl', () => {
  it.each([
    'https://93.184.216.34/hooks',
    'https://[2606:4700::1111]/hooks',
    'https://hooks.example.com/paybridge?x=1',
    'https://hooks.example.com:8443/paybridge',
  ])('allows the public URL %s in live mode', (url) => {
    expect(checkWebhookUrl(url, live).url.href).toBe(new URL(url).href);
  });

  it('requires https in live mode', () => {
    const error = refusal(() => checkWebhookUrl('http://hooks.example.com/', live));
    expect(error).toMatchObject({ code: 'url_not_https', status: 422, param: 'url' });
  });

  it('accepts http in test mode', () => {
    expect(checkWebhookUrl('http://hooks.example.com/', testMode).host).toEqual({
      kind: 'name',
      name: 'hooks.example.com',
    });
  });

  it.each([
    'ftp://hooks.example.com/',
    'file:///etc/passwd',
    'gopher://hooks.example.com/',
    'javascript:alert(1)',
  ])('refuses the non-http scheme of %s in either mode', (url) => {
    for (const policy of [live, testMode]) {
      expect(refusal(() => checkWebhookUrl(url, policy)).code).toBe('url_not_https');
    }
  });

  it.each([
    'https://user:pass@hooks.example.com/',
    'https://user@hooks.example.com/',
    'https://:pw@hooks.example.com/',
  ])('refuses credentials in %s', (url) => {
    expect(refusal(() => checkWebhookUrl(url, live)).code).toBe('url_has_credentials');
  });

  it.each([
    'not a url',
    '/relative/path',
    'https://',
    'https://exa mple.com/',
    `https://example.com/${'a'.repeat(3000)}`,
  ])('refuses %j as url_invalid', (url) => {
    expect(refusal(() => checkWebhookUrl(url, live)).code).toBe('url_invalid');
  });

  const forbiddenHosts = [
    // loopback in every notation
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '127.1',
    '127.0.0.1.',
    '%31%32%37.0.0.1',
    '１２７.０.０.１',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[::127.0.0.1]',
    '[0:0:0:0:0:0:0:1]',
    // private, link-local, metadata, CGNAT
    '10.0.0.1',
    '10.1',
    '0x0a.0.0.1',
    '172.16.5.4',
    '192.168.0.1',
    '192.168.1',
    '169.254.169.254',
    '169.254.43518',
    '0xa9fea9fe',
    '2852039166',
    '100.100.100.200',
    '100.64.0.1',
    '[fd00:ec2::254]',
    '[fc00::1]',
    '[fe80::1]',
    '[::ffff:169.254.169.254]',
    '[64:ff9b::10.0.0.1]',
    '[64:ff9b::a9fe:a9fe]',
    '[2002:a00:1::]',
    '[2002:7f00:1::]',
    // unspecified, reserved, broadcast, multicast, documentation
    '0.0.0.0',
    '0',
    '[::]',
    '198.18.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '224.0.0.1',
    '[ff02::1]',
    '192.0.2.1',
    '[2001:db8::1]',
    // internal names
    'localhost',
    'LOCALHOST',
    'localhost.',
    'api.localhost',
    'metadata.google.internal',
    'metadata.google.internal.',
    'ip-10-0-0-1.ec2.internal',
    'metadata',
    'printer.local',
  ];

  it.each(forbiddenHosts)('refuses %s as url_forbidden_address', (host) => {
    for (const policy of [live, testMode]) {
      const error = refusal(() => checkWebhookUrl(`https://${host}/hooks`, policy));
      expect(error).toMatchObject({ code: 'url_forbidden_address', status: 422, param: 'url' });
    }
  });

  it.each([
    'http://127.0.0.1:4010/hooks',
    'http://127.1:4010/hooks',
    'http://[::1]:4010/hooks',
    'http://localhost:4010/hooks',
    'http://receiver.localhost/hooks',
  ])('lets the loopback receiver %s through when allowLoopback is set', (url) => {
    expect(() => checkWebhookUrl(url, localStage)).not.toThrow();
  });

  it.each([
    'https://hooks.example.com:443/',
    'http://hooks.example.com:80/',
    'https://hooks.example.com:1024/',
    'https://hooks.example.com:8080/',
    'https://hooks.example.com:65535/',
  ])('allows the port of %s', (url) => {
    expect(() => checkWebhookUrl(url, testMode)).not.toThrow();
  });

  it.each([
    'https://hooks.example.com:22/',
    'http://hooks.example.com:25/',
    'https://hooks.example.com:1023/',
    'http://hooks.example.com:6379/',
    'http://hooks.example.com:5432/',
    'http://hooks.example.com:27017/',
    'http://hooks.example.com:9200/',
    'http://hooks.example.com:11211/',
    'http://127.0.0.1:9001/2018-06-01/runtime/invocation/next',
  ])('refuses the port of %s', (url) => {
    const policy = url.includes('127.0.0.1') ? localStage : testMode;
    expect(refusal(() => checkWebhookUrl(url, policy)).code).toBe('url_forbidden_port');
  });

  it('keeps loopback receivers on random high ports working (local tests, npm start)', () => {
    for (const port of [32768, 45123, 60999]) {
      expect(() => checkWebhookUrl(`http://127.0.0.1:${port}/hooks`, localStage)).not.toThrow();
    }
  });

  it.each([
    '10.0.0.1',
    '192.168.1.10',
    '169.254.169.254',
    '100.100.100.200',
    '[fd00:ec2::254]',
    '[fe80::1]',
    '0.0.0.0',
    'metadata.google.internal',
    'ip-10-0-0-1.ec2.internal',
    'receiver',
  ])('never lets %s through, even with allowLoopback', (host) => {
    const error = refusal(() => checkWebhookUrl(`http://${host}/hooks`, localStage));
    expect(error.code).toBe('url_forbidden_address');
  });

  it('gives the same message whatever made an address forbidden', () => {
    const messages = new Set(
      ['https://127.0.0.1/', 'https://169.254.169.254/', 'https://localhost/', 'https://10.0.0.1/'].map(
        (url) => refusal(() => checkWebhookUrl(url, live)).message,
      ),
    );
    expect(messages.size).toBe(1);
  });
});

describe('resolveAndCheck', () => {
  it('returns every address of a public name', async () => {
    const resolver = resolverOf({ 'hooks.example.com': ['93.184.216.34', '2606:4700:0:0:0:0:0:1111'] });
    await expect(resolveAndCheck('hooks.example.com', { allowLoopback: false, resolver })).resolves.toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
  });

  it('refuses a name when ANY of its addresses is forbidden', async () => {
    const resolver = resolverOf({ 'mixed.example.com': ['93.184.216.34', '10.0.0.7'] });
    const error = await asyncRefusal(() =>
      resolveAndCheck('mixed.example.com', { allowLoopback: false, resolver }),
    );
    expect(error.code).toBe('url_forbidden_address');
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['metadata', '169.254.169.254'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv6 metadata', 'fd00:ec2::254'],
    ['NAT64 private', '64:ff9b::a00:1'],
    ['a zoned link-local', 'fe80::1%eth0'],
  ])('refuses a public-looking name that resolves to %s', async (_case, address) => {
    const resolver = resolverOf({ 'rebind.example.com': [address] });
    const error = await asyncRefusal(() =>
      resolveAndCheck('rebind.example.com', { allowLoopback: false, resolver }),
    );
    expect(error.code).toBe('url_forbidden_address');
  });

  it('refuses what a resolver returns that is not a strict IP literal', async () => {
    const resolver = resolverOf({ 'odd.example.com': ['127.1'] });
    const error = await asyncRefusal(() =>
      resolveAndCheck('odd.example.com', { allowLoopback: true, resolver }),
    );
    expect(error.code).toBe('url_forbidden_address');
  });

  it('allows a name resolving to loopback only with allowLoopback, and never a private address', async () => {
    const resolver = resolverOf({ 'dev.example.com': ['127.0.0.1', '::1'], 'lan.example.com': ['10.0.0.1'] });
    await expect(resolveAndCheck('dev.example.com', { allowLoopback: true, resolver })).resolves.toHaveLength(
      2,
    );
    expect(
      (await asyncRefusal(() => resolveAndCheck('dev.example.com', { allowLoopback: false, resolver }))).code,
    ).toBe('url_forbidden_address');
    expect(
      (await asyncRefusal(() => resolveAndCheck('lan.example.com', { allowLoopback: true, resolver }))).code,
    ).toBe('url_forbidden_address');
  });

  it('refuses localhost through the system resolver when allowLoopback is false', async () => {
    const error = await asyncRefusal(() => resolveAndCheck('localhost', { allowLoopback: false }));
    expect(error.code).toBe('url_forbidden_address');
  });

  it('resolves localhost through the system resolver to loopback addresses when allowLoopback is set', async () => {
    const addresses = await resolveAndCheck('localhost', { allowLoopback: true });
    expect(addresses.length).toBeGreaterThan(0);
    for (const { address } of addresses) expect(classifyAddress(address)).toBe('loopback');
  });

  it('checks an IP literal without resolving it', async () => {
    const resolver: Resolver = async () => {
      throw new Error('must not resolve');
    };
    await expect(resolveAndCheck('[::1]', { allowLoopback: true, resolver })).resolves.toEqual([
      { address: '::1', family: 6 },
    ]);
    await expect(resolveAndCheck('0x7f.1', { allowLoopback: true, resolver })).resolves.toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
    const error = await asyncRefusal(() =>
      resolveAndCheck('169.254.169.254', { allowLoopback: true, resolver }),
    );
    expect(error.code).toBe('url_forbidden_address');
  });

  it('reports a name that does not resolve as url_unresolvable', async () => {
    const resolver = resolverOf({});
    const error = await asyncRefusal(() =>
      resolveAndCheck('nowhere.example.com', { allowLoopback: false, resolver }),
    );
    expect(error).toMatchObject({ code: 'url_unresolvable', status: 422 });
  });

  it('reports an empty answer as url_unresolvable', async () => {
    const resolver = resolverOf({ 'empty.example.com': [] });
    const error = await asyncRefusal(() =>
      resolveAndCheck('empty.example.com', { allowLoopback: false, resolver }),
    );
    expect(error.code).toBe('url_unresolvable');
  });
});
