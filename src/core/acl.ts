/**
 * Access control with RocketMQ's ACL semantics (plain_acl.yml): an account is
 * admin or not; it has a default permission for topics and one for groups
 * (DENY, PUB, SUB or PUB|SUB), per-topic and per-group permissions that
 * override them, and optionally the source addresses it may call from.
 *
 * Pure logic: the Worker decides what a request needs (see
 * src/workers/security/requirements.ts) and asks {@link decide}.
 */
import ipaddr, { type IPv4, type IPv6 } from 'ipaddr.js';
import { FlareError } from './errors';

/** A permission: DENY (0), PUB (1), SUB (2), PUB|SUB (3). */
export type Perm = number;
export const DENY = 0;
export const PUB = 1;
export const SUB = 2;
export const ANY = PUB | SUB;

/** Most entries in topicPerms or groupPerms of one account. */
export const MAX_RESOURCE_PERMS = 1000;
/** Most source ranges of one account. */
export const MAX_ALLOWED_IPS = 100;

/** The ACL part of an account. */
export interface AccessRules {
  /** Admin accounts may do anything, including topic, group and cluster administration. */
  admin: boolean;
  /** Permission on a topic not listed in topicPerms. Default DENY. */
  defaultTopicPerm: Perm;
  /** Permission on a group not listed in groupPerms. Default DENY. */
  defaultGroupPerm: Perm;
  topicPerms: ReadonlyMap<string, Perm>;
  groupPerms: ReadonlyMap<string, Perm>;
  /** Allowed source ranges; undefined means from anywhere. */
  allowedIps?: readonly IpRange[];
}

/** Parses 'DENY', 'PUB', 'SUB', 'PUB|SUB' (or 'SUB|PUB'), case-insensitive. */
export function parsePermName(value: unknown, where: string): Perm {
  if (typeof value !== 'string') throw new FlareError('CONFIG_INVALID', `${where} must be DENY, PUB, SUB or PUB|SUB`);
  const parts = value
    .toUpperCase()
    .split('|')
    .map((p) => p.trim());
  let perm = 0;
  for (const p of parts) {
    if (p === 'PUB') perm |= PUB;
    else if (p === 'SUB') perm |= SUB;
    else if (p === 'DENY' && parts.length === 1) perm = DENY;
    else
      throw new FlareError(
        'CONFIG_INVALID',
        `${where} is '${value.slice(0, 40)}'; it must be DENY, PUB, SUB or PUB|SUB`,
      );
  }
  return perm;
}

export function permName(perm: Perm): string {
  return perm === ANY ? 'PUB|SUB' : perm === PUB ? 'PUB' : perm === SUB ? 'SUB' : 'DENY';
}

/**
 * Per-resource permissions, in either of two forms: RocketMQ's list
 * `["TopicA=PUB", "TopicB=PUB|SUB"]` or an object `{"TopicA": "PUB"}`.
 */
export function parseResourcePerms(value: unknown, where: string): Map<string, Perm> {
  const out = new Map<string, Perm>();
  if (value === undefined) return out;
  let entries: [string, unknown][];
  if (Array.isArray(value)) {
    entries = value.map((item, i) => {
      if (typeof item !== 'string' || !item.includes('='))
        throw new FlareError('CONFIG_INVALID', `${where}[${i}] must be "name=PERM"`);
      const at = item.lastIndexOf('=');
      return [item.slice(0, at).trim(), item.slice(at + 1)];
    });
  } else if (typeof value === 'object' && value !== null) {
    entries = Object.entries(value);
  } else {
    throw new FlareError('CONFIG_INVALID', `${where} must be a list of "name=PERM" or an object {name: PERM}`);
  }
  if (entries.length > MAX_RESOURCE_PERMS)
    throw new FlareError('CONFIG_INVALID', `${where} has more than ${MAX_RESOURCE_PERMS} entries`);
  for (const [name, perm] of entries) {
    if (!/^[%|a-zA-Z0-9_-]{1,127}$/.test(name))
      throw new FlareError('CONFIG_INVALID', `${where}: '${name.slice(0, 40)}' is not a topic or group name`);
    out.set(name, parsePermName(perm, `${where}.${name}`));
  }
  return out;
}

// ---- source addresses ----

/** A CIDR range: its network address and prefix length (ipaddr.js's form). */
export interface IpRange {
  cidr: [IPv4 | IPv6, number];
  /** As configured, for messages. */
  text: string;
}

// Stricter than ipaddr.parse: IPv4 only as four decimal parts without leading zeros (ipaddr.js also
// takes octal, hex and short forms, which CF-Connecting-IP never carries), IPv6 without a zone id.
const ipv4 = (text: string) => ipaddr.IPv4.isValidFourPartDecimal(text);
const ipv6 = (text: string, cidr = false) =>
  !text.includes('%') && (cidr ? ipaddr.IPv6.isValidCIDR(text) : ipaddr.IPv6.isValid(text));

/** Parses an IPv4 or IPv6 address; undefined if it is neither. */
function parseIp(text: string): IPv4 | IPv6 | undefined {
  if (ipv4(text)) return ipaddr.IPv4.parse(text);
  if (ipv6(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

function parseCidr(text: string): [IPv4 | IPv6, number] | undefined {
  if (!text.includes('/')) {
    const addr = parseIp(text);
    return addr && [addr, addr.kind() === 'ipv4' ? 32 : 128];
  }
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return ipaddr.IPv4.parseCIDR(text);
  if (ipv6(text, true)) return ipaddr.IPv6.parseCIDR(text);
  return undefined;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address. */
export function parseIpRange(text: unknown, where: string): IpRange {
  if (typeof text !== 'string')
    throw new FlareError('CONFIG_INVALID', `${where} must be an address or a CIDR range such as 10.0.0.0/8`);
  const cidr = parseCidr(text.trim());
  if (!cidr) {
    throw new FlareError(
      'CONFIG_INVALID',
      `${where} is '${text.slice(0, 60)}'; it must be an address or a CIDR range such as 10.0.0.0/8 or 2001:db8::/32`,
    );
  }
  return { cidr, text: text.trim() };
}

/** Whether an address (as text) lies in a range. An IPv4-mapped IPv6 address matches IPv4 ranges. */
export function ipInRange(ip: string, range: IpRange): boolean {
  let addr = parseIp(ip);
  const network = range.cidr[0];
  if (addr instanceof ipaddr.IPv6 && network.kind() === 'ipv4' && addr.isIPv4MappedAddress())
    addr = addr.toIPv4Address();
  return addr !== undefined && addr.kind() === network.kind() && addr.match(range.cidr);
}

// ---- decisions ----

/** What one request needs. */
export interface Requirement {
  /** Only admin accounts. */
  admin?: boolean;
  /** Permissions needed on topics (every one must hold). */
  topics?: { name: string; perm: Perm }[];
  /** Permissions needed on groups. */
  groups?: { name: string; perm: Perm }[];
  /** What the request does, for messages ("send to", "pull from"…). */
  action: string;
}

const RETRY = '%RETRY%';
const DLQ = '%DLQ%';

/** The permission an account holds on a topic. A group's retry and DLQ topics follow the group's permission, as in RocketMQ. */
export function topicPerm(rules: AccessRules, topic: string): Perm {
  for (const prefix of [RETRY, DLQ]) {
    if (topic.startsWith(prefix)) return groupPerm(rules, topic.slice(prefix.length));
  }
  return rules.topicPerms.get(topic) ?? rules.defaultTopicPerm;
}

export function groupPerm(rules: AccessRules, group: string): Perm {
  return rules.groupPerms.get(group) ?? rules.defaultGroupPerm;
}

/** Why a request is refused, or null when the account may do it. */
export interface Refusal {
  code: 'ADMIN_REQUIRED' | 'ACCESS_DENIED' | 'SOURCE_IP_DENIED';
  detail: string;
}

/** Whether the source address is allowed (always, when the account has no ranges). */
export function sourceAllowed(rules: AccessRules, ip: string | undefined): boolean {
  if (!rules.allowedIps) return true;
  return ip !== undefined && rules.allowedIps.some((r) => ipInRange(ip, r));
}

/** Decides one request of one account: null to allow, else why not. */
export function decide(accessKey: string, rules: AccessRules, need: Requirement, ip?: string): Refusal | null {
  if (!sourceAllowed(rules, ip)) {
    return {
      code: 'SOURCE_IP_DENIED',
      detail: `account '${accessKey}' may not call from ${ip ?? 'an unknown address'}`,
    };
  }
  if (rules.admin) return null;
  if (need.admin)
    return { code: 'ADMIN_REQUIRED', detail: `${need.action} needs an admin account; '${accessKey}' is not one` };
  for (const { name, perm } of need.topics ?? []) {
    const held = topicPerm(rules, name);
    if ((held & perm) !== perm) {
      return {
        code: 'ACCESS_DENIED',
        detail: `${need.action} needs ${permName(perm)} on topic '${name}'; account '${accessKey}' has ${permName(held)}`,
      };
    }
  }
  for (const { name, perm } of need.groups ?? []) {
    const held = groupPerm(rules, name);
    if ((held & perm) !== perm) {
      return {
        code: 'ACCESS_DENIED',
        detail: `${need.action} needs ${permName(perm)} on group '${name}'; account '${accessKey}' has ${permName(held)}`,
      };
    }
  }
  return null;
}
