// Which IP addresses an image fetch may connect to. Everything is decided on parsed addresses
// (ipaddr.js), never on the spelling of a host, so 2130706433, 0177.0.0.1 and ::ffff:7f00:1 all
// land on the same 127.0.0.1 verdict.
import ipaddr from 'ipaddr.js';

/** Whether an address may be contacted, and if not, why. */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** Address ranges that `allowPrivate` opens: the operator's own networks. */
const PRIVATE_RANGES = new Set(['private', 'uniqueLocal', 'carrierGradeNat', 'loopback', 'linkLocal']);

/** Cloud metadata endpoints: refused even with `allowPrivate`, unless allow-listed by address. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']);

/** A parsed allow-list: host names (exact or `*.suffix`) and addresses/CIDR ranges. */
export interface AllowList {
  hosts: Set<string>;
  suffixes: string[];
  ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /** Entries that name one address (no range), canonical text: the only way to open a metadata address. */
  exact: Set<string>;
}

/** Parse allow-list entries: `example.com`, `*.example.com`, `10.0.0.5`, `10.0.0.0/8`, `[::1]`. */
export function parseAllowList(entries: readonly string[]): AllowList {
  const list: AllowList = { hosts: new Set(), suffixes: [], ranges: [], exact: new Set() };
  for (const raw of entries) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '');
    if (!entry) continue;
    if (entry.includes('/') && ipaddr.isValidCIDR(entry)) {
      list.ranges.push(ipaddr.parseCIDR(entry));
    } else if (ipaddr.isValid(entry)) {
      const addr = ipaddr.process(entry);
      list.ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
      list.exact.add(addr.toString());
    } else if (entry.startsWith('*.')) {
      list.suffixes.push(entry.slice(1));
    } else {
      list.hosts.add(entry);
    }
  }
  return list;
}

/** Whether a host name is on the allow-list by name. */
export function hostAllowed(list: AllowList, hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  return list.hosts.has(host) || list.suffixes.some((s) => host.endsWith(s));
}

/** Whether an address is on the allow-list by address or range. */
export function addressAllowed(list: AllowList, address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const addr = ipaddr.process(address);
  return list.ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

/** The IPv4 address an IPv6 form carries (mapped, SIIT, NAT64 64:ff9b::/96, 6to4), if any. */
function carriedV4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  switch (v6.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return embeddedV4(v6, 6);
    case 'rfc6052':
      return v6.parts[2] === 0 && v6.parts[3] === 0 && v6.parts[4] === 0 && v6.parts[5] === 0
        ? embeddedV4(v6, 6)
        : undefined;
    case '6to4':
      return embeddedV4(v6, 1);
    default:
      return undefined;
  }
}

/**
 * The cloud metadata address an address is or carries (`::ffff:169.254.169.254` →
 * `169.254.169.254`), or undefined. Such an address is opened only by an allow-list entry naming
 * exactly it: neither a range, nor an allow-listed host name, nor `allowPrivate` does.
 */
export function metadataAddress(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return undefined;
  const addr = ipaddr.parse(bare);
  const text = addr.toString();
  if (METADATA_ADDRESSES.has(text)) return text;
  if (addr.kind() === 'ipv6') {
    const v4 = carriedV4(addr as ipaddr.IPv6)?.toString();
    if (v4 && METADATA_ADDRESSES.has(v4)) return v4;
  }
  return undefined;
}

function classifyV4(addr: ipaddr.IPv4, allowPrivate: boolean): AddressVerdict {
  const text = addr.toString();
  if (METADATA_ADDRESSES.has(text)) return { allowed: false, reason: `${text} is a cloud metadata address` };
  const range = addr.range();
  if (range === 'unicast') return { allowed: true };
  if (allowPrivate && PRIVATE_RANGES.has(range)) return { allowed: true };
  return { allowed: false, reason: `${text} is in the ${range} range` };
}

function embeddedV4(addr: ipaddr.IPv6, fromPart: number): ipaddr.IPv4 {
  const p = addr.parts;
  const hi = p[fromPart] ?? 0;
  const lo = p[fromPart + 1] ?? 0;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/**
 * Classify one resolved address. Only global unicast passes by default; IPv6 forms that embed an
 * IPv4 address (mapped, SIIT, NAT64 64:ff9b::/96, 6to4) are judged by the IPv4 address inside.
 */
export function classifyAddress(address: string, allowPrivate = false): AddressVerdict {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return { allowed: false, reason: `${address} is not an IP address` };
  const addr = ipaddr.parse(bare);
  if (addr.kind() === 'ipv4') return classifyV4(addr as ipaddr.IPv4, allowPrivate);
  const v6 = addr as ipaddr.IPv6;
  const text = v6.toString();
  if (METADATA_ADDRESSES.has(text)) return { allowed: false, reason: `${text} is a cloud metadata address` };
  const range = v6.range();
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return classifyV4(embeddedV4(v6, 6), allowPrivate);
    case 'rfc6052': {
      // Only the well-known NAT64 prefix 64:ff9b::/96 embeds an address in the last 32 bits;
      // the local-use prefix 64:ff9b:1::/48 is a private translator.
      if (v6.parts[2] === 0 && v6.parts[3] === 0 && v6.parts[4] === 0 && v6.parts[5] === 0) {
        return classifyV4(embeddedV4(v6, 6), allowPrivate);
      }
      if (allowPrivate) return { allowed: true };
      return { allowed: false, reason: `${text} is a local-use NAT64 address` };
    }
    case '6to4':
      return classifyV4(embeddedV4(v6, 1), allowPrivate);
    case 'unicast':
      // ipaddr.js calls anything unlisted "unicast" (e.g. IPv4-compatible ::7f00:1); only the
      // global unicast block 2000::/3 is really public.
      if (((v6.parts[0] ?? 0) & 0xe000) === 0x2000) return { allowed: true };
      return { allowed: false, reason: `${text} is outside global unicast 2000::/3` };
    default:
      if (allowPrivate && PRIVATE_RANGES.has(range)) return { allowed: true };
      return { allowed: false, reason: `${text} is in the ${range} range` };
  }
}
