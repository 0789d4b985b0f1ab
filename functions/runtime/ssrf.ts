import { lookup as dnsLookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { ValidationFailed } from '#core/errors';

/**
 * The SSRF guard for merchant-supplied webhook URLs. Our functions run next to the
 * instance metadata service, the Lambda runtime API (127.0.0.1:9001) and, in a VPC,
 * private subnets; a URL a merchant types must never reach any of them.
 *
 * Two layers, because either alone is bypassable:
 * - `checkWebhookUrl`, at registration and before each delivery: scheme, credentials,
 *   IP literals in every notation a parser or resolver accepts, and well-known internal names;
 * - `resolveAndCheck`, before each connection: every address the name resolves to.
 *   `outbound.ts` then connects to exactly the checked address (no second lookup to rebind).
 */

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'reserved'
  | 'metadata'
  | 'unspecified';

export type ParsedHost =
  { kind: 'ipv4'; address: string } | { kind: 'ipv6'; address: string } | { kind: 'name'; name: string };

export interface UrlPolicy {
  /** `live` requires https; `test` also takes http. */
  mode: 'test' | 'live';
  /**
   * Lets loopback receivers through, never private or metadata addresses. Only for
   * `config().PAYBRIDGE_STAGE === 'local'`: in Lambda, 127.0.0.1:9001 is the runtime API.
   */
  allowLoopback: boolean;
}

export interface CheckedUrl {
  url: URL;
  host: ParsedHost;
}

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

/** `dns.lookup(host, { all: true })`, injectable so tests can resolve names without a DNS server. */
export type Resolver = (hostname: string) => Promise<readonly CheckedAddress[]>;

const MAX_URL_LENGTH = 2048;

// ---------------------------------------------------------------------------------------------
// Classification

/** Cloud instance-metadata and credential endpoints: AWS (IMDS v4/v6, ECS, EKS Pod Identity), GCP/Azure (same v4), Alibaba, Oracle. */
const METADATA_V4 = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  '192.0.0.192',
]);
const METADATA_V6 = new Set(['fd00:ec2::254', 'fd00:ec2::23']);

/** [network, prefix length, class]; first match wins, so the metadata hosts are checked before these. */
const V4_RANGES: readonly (readonly [network: string, bits: number, kind: AddressClass])[] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network"; Linux connects 0.0.0.0 to the local host
  ['127.0.0.0', 8, 'loopback'],
  ['10.0.0.0', 8, 'private'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['169.254.0.0', 16, 'link_local'],
  ['100.64.0.0', 10, 'cgnat'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes the broadcast address 255.255.255.255
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // TEST-NET-1 (documentation)
  ['198.51.100.0', 24, 'reserved'], // TEST-NET-2
  ['203.0.113.0', 24, 'reserved'], // TEST-NET-3
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['192.88.99.0', 24, 'reserved'], // deprecated 6to4 relay anycast
];

const V4_TABLE = V4_RANGES.map(([network, bits, kind]) => {
  const base = ipv4ToNumber(network);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base, mask, kind };
});

/**
 * What kind of address this is. Takes an IPv4 address in any notation `parseHost` accepts
 * (dotted, decimal, hex, octal, short) or an IPv6 address (brackets and zone id allowed).
 * IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are classified by
 * the embedded address, since the packet may end up there. Throws a TypeError for anything else.
 */
export function classifyAddress(ip: string): AddressClass {
  let text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = text.indexOf('%');
  if (zone >= 0 && text.includes(':')) text = text.slice(0, zone);
  if (text.includes(':')) {
    const words = parseIPv6(text);
    if (!words) throw new TypeError(`Not an IP address: ${ip}`);
    return classifyV6(words);
  }
  const v4 = parseIPv4Loose(text.toLowerCase());
  if (v4 === undefined) throw new TypeError(`Not an IP address: ${ip}`);
  return classifyV4(v4);
}

function classifyV4(n: number): AddressClass {
  if (METADATA_V4.has(numberToIPv4(n))) return 'metadata';
  for (const { base, mask, kind } of V4_TABLE) if ((n & mask) >>> 0 === base) return kind;
  return 'public';
}

function classifyV6(w: readonly number[]): AddressClass {
  const zeroUpTo = (end: number) => w.slice(0, end).every((x) => x === 0);
  const embedded = ((w[6] ?? 0) * 0x10000 + (w[7] ?? 0)) >>> 0;
  const w0 = w[0] ?? 0;
  const w1 = w[1] ?? 0;

  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && w[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped): sockets send these as IPv4.
  if (zeroUpTo(5) && w[5] === 0xffff) return classifyV4(embedded);
  // ::a.b.c.d (compatible, deprecated) and ::ffff:0:a.b.c.d (SIIT): never a legitimate receiver.
  if (zeroUpTo(6) || (zeroUpTo(4) && w[4] === 0xffff && w[5] === 0)) return notPublic(classifyV4(embedded));
  // 64:ff9b::/96 NAT64: the gateway forwards to the embedded IPv4 address.
  if (w0 === 0x64 && w1 === 0xff9b && w.slice(2, 6).every((x) => x === 0)) return classifyV4(embedded);
  // 64:ff9b:1::/48 local-use NAT64 (RFC 8215): translates into the operator's own network.
  if (w0 === 0x64 && w1 === 0xff9b && w[2] === 1) return 'private';
  // 2002::/16 6to4: the relay forwards to the IPv4 address in bits 16–47.
  if (w0 === 0x2002) return classifyV4((w1 * 0x10000 + (w[2] ?? 0)) >>> 0);
  if (METADATA_V6.has(wordsToIPv6(w))) return 'metadata';
  if ((w0 & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((w0 & 0xffc0) === 0xfe80) return 'link_local'; // fe80::/10
  if ((w0 & 0xffc0) === 0xfec0) return 'private'; // fec0::/10 site-local (deprecated)
  if ((w0 & 0xff00) === 0xff00) return 'multicast';
  if (w0 === 0x2001 && w1 === 0x0db8) return 'reserved'; // documentation
  if ((w0 & 0xfff0) === 0x3ff0) return 'reserved'; // 3fff::/20 documentation (RFC 9637)
  if (w0 === 0x2001 && w1 < 0x0200) return 'reserved'; // 2001::/23 IETF assignments, Teredo included
  if ((w0 & 0xe000) !== 0x2000) return 'reserved'; // outside 2000::/3 global unicast
  return 'public';
}

function notPublic(kind: AddressClass): AddressClass {
  return kind === 'public' ? 'reserved' : kind;
}

/** Whether an address of this class may be contacted under the policy. */
function allowed(kind: AddressClass, allowLoopback: boolean): boolean {
  return kind === 'public' || (allowLoopback && kind === 'loopback');
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Normalises a URL host (or any host string) the way a URL parser or resolver would see it.
 * IPv4 in any notation (`2130706433`, `0x7f000001`, `0x7f.0.0.1`, `0177.0.0.1`, `127.1`,
 * full-width or percent-encoded digits) comes back as dotted decimal; anything number-ish that
 * does not parse is refused rather than handed to DNS. Throws `ValidationFailed` (`url_invalid`).
 */
export function parseHost(host: string): ParsedHost {
  if (host.startsWith('[')) {
    const inner = host.endsWith(']') ? host.slice(1, -1) : '';
    // Zone ids are not allowed in URLs (RFC 6874 was never adopted by WHATWG).
    if (inner.includes('%') || !parseIPv6(inner)) throw invalidUrl('The host is not a valid IPv6 address.');
    return { kind: 'ipv6', address: canonicalIPv6(inner) };
  }
  if (isIPv6(host) && !host.includes('%')) return { kind: 'ipv6', address: canonicalIPv6(host) };
  // A host string carries no userinfo, port, path or whitespace: those would change what is parsed.
  if (host.length === 0 || host.length > 1000 || /[\s/\\@?#:[\]\p{Cc}]/u.test(host)) {
    throw invalidUrl('The host is not a valid hostname.');
  }

  // WHATWG normalisation: lowercases, maps IDNA (full-width digits), percent-decodes and
  // parses every IPv4 notation it knows.
  let normalised: string;
  try {
    const parsed = new URL(`http://${host}/`);
    if (parsed.port !== '' || parsed.username !== '' || parsed.pathname !== '/') throw new Error();
    normalised = parsed.hostname;
  } catch {
    throw invalidUrl('The host is not a valid hostname.');
  }
  if (normalised.startsWith('[')) return { kind: 'ipv6', address: canonicalIPv6(normalised.slice(1, -1)) };

  // Our own check, on both the normalised and the raw form: inet_aton-style parsing that does not
  // depend on which URL parser is in use, and that refuses whatever is number-ish but invalid.
  // (The raw form may be percent-encoded or full-width; only the normalised one must parse.)
  const ours = numberishIPv4(normalised);
  const raw = numberishIPv4(host.toLowerCase());
  if (
    ours === 'invalid' ||
    (raw === 'invalid' && ours === 'name') ||
    (typeof raw === 'number' && raw !== ours)
  ) {
    throw invalidUrl('The host is not a valid address.');
  }
  if (typeof ours === 'number') return { kind: 'ipv4', address: numberToIPv4(ours) };

  const name = normalised.endsWith('.') ? normalised.slice(0, -1) : normalised;
  if (
    name.length === 0 ||
    name.length > 253 ||
    !name.split('.').every((label) => /^[a-z0-9_-]{1,63}$/.test(label))
  ) {
    throw invalidUrl('The host is not a valid hostname.');
  }
  return { kind: 'name', name };
}

/**
 * A number-ish host (the last label, or every label, is decimal, `0x` hex or octal, as inet_aton
 * and the WHATWG "ends in a number" rule see it) is an IPv4 address or invalid, never a name.
 */
function numberishIPv4(host: string): number | 'invalid' | 'name' {
  const labels = host.split('.');
  if (labels.length > 1 && labels.at(-1) === '') labels.pop();
  const numberish = (label: string) => /^(?:0x[0-9a-f]*|[0-9]+)$/.test(label);
  if (!numberish(labels.at(-1) ?? '') && !labels.every(numberish)) return 'name';
  return parseIPv4Loose(labels.join('.')) ?? 'invalid';
}

/** inet_aton: 1–4 parts, each decimal, 0x hex or 0-prefixed octal; the last part fills the remaining bytes. */
function parseIPv4Loose(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/.test(part)) value = part.length === 2 ? 0 : parseBounded(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseBounded(part.slice(1), 8);
    else if (/^(?:0|[1-9][0-9]*)$/.test(part)) value = parseBounded(part, 10);
    else return undefined;
    if (Number.isNaN(value)) return undefined;
    values.push(value);
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return undefined;
  let result = last;
  values.forEach((v, i) => (result += v * 256 ** (3 - i)));
  return result;
}

/** Digits in a radix, or NaN past 2^32 (so `99999999999999999999` cannot round into range). */
function parseBounded(digits: string, radix: number): number {
  let value = 0;
  for (const digit of digits.replace(/^0+(?=.)/, '')) {
    value = value * radix + parseInt(digit, radix);
    if (value > 0xffffffff) return Number.NaN;
  }
  return value;
}

function ipv4ToNumber(dotted: string): number {
  const value = parseIPv4Loose(dotted);
  if (value === undefined) throw new TypeError(`Not an IPv4 address: ${dotted}`);
  return value;
}

function numberToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Eight 16-bit words, or undefined; accepts `::` compression and a trailing dotted IPv4. */
function parseIPv6(text: string): number[] | undefined {
  if (!isIPv6(text)) return undefined;
  let head = text;
  const tail: number[] = [];
  const dotted = /(?:^|:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted?.[1]) {
    if (!isIPv4(dotted[1])) return undefined;
    const v4 = ipv4ToNumber(dotted[1]);
    tail.push(v4 >>> 16, v4 & 0xffff);
    head = text.slice(0, text.length - dotted[1].length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = words(halves[0]);
  const right = [...words(halves[1]), ...tail];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const result = [...left, ...new Array<number>(missing).fill(0), ...right];
  return result.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? result : undefined;
}

/** RFC 5952 text, as the URL parser prints it. */
function canonicalIPv6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

function wordsToIPv6(words: readonly number[]): string {
  return canonicalIPv6(words.map((w) => w.toString(16)).join(':'));
}

// ---------------------------------------------------------------------------------------------
// Policy

/** Names that only ever mean "this machine". */
function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain';
}

/**
 * Names that point inside a network whatever they resolve to today: cloud-internal zones
 * (`*.internal`, `metadata.google.internal`, `ec2.internal`), mDNS and home zones, and
 * single-label names, which resolvers complete with the VPC's search domains.
 */
function isInternalName(name: string): boolean {
  return (
    !name.includes('.') ||
    name === 'metadata.goog' ||
    /\.(?:internal|local|localdomain|home\.arpa|home|lan|corp)$/.test(name)
  );
}

/**
 * Well-known service ports above 1023 that a webhook must never be aimed at: databases,
 * caches, queues, cluster control planes, remote desktops, and the Lambda runtime API (9001).
 * A public host answering on one of these is not a webhook receiver; reaching it would
 * make us a port scanner and a cross-protocol client for whoever registers the URL.
 */
const serviceBlocklist: ReadonlySet<number> = new Set([
  1433, 1434, 1521, 2049, 2375, 2376, 2379, 2380, 3306, 3389, 4369, 5432, 5672, 5900, 5984, 6379, 6443, 7001,
  8086, 8500, 8600, 9001, 9042, 9092, 9200, 9300, 10250, 10255, 11211, 15672, 27017, 27018, 50070,
]);

/**
 * 443 and 80 (or the scheme's default), or 1024–65535 except {@link serviceBlocklist}:
 * never a privileged port (SSH 22, SMTP 25, …), where no webhook receiver lives.
 * Local loopback receivers listen on ephemeral ports (32768+), which stay allowed.
 */
export function isAllowedWebhookPort(port: number): boolean {
  if (port === 443 || port === 80) return true;
  return Number.isInteger(port) && port >= 1024 && port <= 65535 && !serviceBlocklist.has(port);
}

/**
 * Validates a merchant's webhook URL without touching the network. Throws `ValidationFailed`
 * (422, param `url`): `url_invalid`, `url_not_https` (live mode; test mode also takes http),
 * `url_has_credentials`, `url_forbidden_port`, `url_forbidden_address` (an internal IP literal or name).
 */
export function checkWebhookUrl(url: string, opts: UrlPolicy): CheckedUrl {
  if (url.length > MAX_URL_LENGTH) throw invalidUrl(`The URL is longer than ${MAX_URL_LENGTH} characters.`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl('The URL is not a valid absolute URL.');
  }
  const schemes = opts.mode === 'live' ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(parsed.protocol)) {
    throw refused(
      'url_not_https',
      opts.mode === 'live'
        ? 'Live webhook URLs must use https.'
        : 'Webhook URLs must use https (or http in test mode).',
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw refused('url_has_credentials', 'The URL must not contain a username or password.');
  }
  // URL drops a scheme's default port, so '' is 443 (https) or 80 (http).
  if (parsed.port !== '' && !isAllowedWebhookPort(Number(parsed.port))) {
    throw refused(
      'url_forbidden_port',
      'Webhook URLs may use port 443, 80, or 1024–65535 except well-known service ports.',
    );
  }
  const host = parseHost(parsed.hostname);
  if (host.kind === 'name') {
    const permitted = isLoopbackName(host.name) ? opts.allowLoopback : !isInternalName(host.name);
    if (!permitted) throw forbidden();
  } else if (!allowed(classifyAddress(host.address), opts.allowLoopback)) {
    throw forbidden();
  }
  return { url: parsed, host };
}

const systemResolver: Resolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/**
 * Resolves a host (name or IP literal, as `URL.hostname` gives it) and checks EVERY address:
 * one forbidden answer refuses the lot, since the connection could pick any of them.
 * Returns the checked addresses; connect only to these. Throws `ValidationFailed` 422:
 * `url_forbidden_address`, or `url_unresolvable` when the name has no address.
 */
export async function resolveAndCheck(
  hostname: string,
  opts: Pick<UrlPolicy, 'allowLoopback'> & { resolver?: Resolver },
): Promise<CheckedAddress[]> {
  const host = parseHost(hostname);
  let addresses: readonly CheckedAddress[];
  if (host.kind === 'name') {
    try {
      addresses = await (opts.resolver ?? systemResolver)(host.name);
    } catch {
      throw refused('url_unresolvable', 'The webhook host name does not resolve.');
    }
    if (addresses.length === 0) throw refused('url_unresolvable', 'The webhook host name does not resolve.');
  } else {
    addresses = [{ address: host.address, family: host.kind === 'ipv4' ? 4 : 6 }];
  }
  const checked: CheckedAddress[] = [];
  for (const { address } of addresses) {
    // Judge the address text itself (not the family the resolver claimed), and only strict literals.
    const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
    if (family === undefined || !allowed(classifyAddress(address), opts.allowLoopback)) throw forbidden();
    checked.push({ address: family === 4 ? address : canonicalIPv6(address), family });
  }
  return checked;
}

function invalidUrl(message: string): ValidationFailed {
  return refused('url_invalid', message);
}

function forbidden(): ValidationFailed {
  // The same message whatever the reason: no oracle for probing our network.
  return refused('url_forbidden_address', 'The URL points to a private, internal or reserved address.');
}

function refused(code: string, message: string): ValidationFailed {
  return new ValidationFailed(code, message, 'url', 422);
}
