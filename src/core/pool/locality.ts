// Whether a host is on this machine or the local network: loopback, private (RFC 1918), link-local
// and unique-local addresses, `localhost`/`*.localhost` and mDNS `*.local` names (resolved on the local
// link only). The one answer for models, MCP servers and web search. Everything else counts as remote,
// including carrier-grade NAT (100.64/10, shared with other customers) and suffixes such as
// `.internal` or `.lan` that any DNS server may point anywhere.
import { isIP } from 'node:net';

function ipv4Local(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return (
    a === 127 || // loopback
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) || // link-local
    (a === 0 && ip === '0.0.0.0') // "this host"
  );
}

function ipv6Local(ip: string): boolean {
  const lower = ip.toLowerCase();
  if (lower === '::1' || lower === '::') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return ipv4Local(mapped[1]);
  const first = parseInt(lower.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 /* fc00::/7 unique local */ || (first & 0xffc0) === 0xfe80; /* fe80::/10 link-local */
}

export function isLocalHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  h = h.replace(/\.$/, '');
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  const kind = isIP(h);
  if (kind === 4) return ipv4Local(h);
  if (kind === 6) return ipv6Local(h);
  return h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local');
}

/** The host part of a URL (without brackets for IPv6); '' when the URL does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}
