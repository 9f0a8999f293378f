/**
 * Access control with RocketMQ's ACL semantics (plain_acl.yml): an account is
 * admin or not; it has a default permission for topics and one for groups
 * (DENY, PUB, SUB or PUB|SUB), per-topic and per-group permissions that
 * override them, and optionally the source addresses it may call from.
 *
 * Pure logic: the Worker decides what a request needs (see
 * src/workers/security/requirements.ts) and asks {@link decide}.
 */
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
  const parts = value.toUpperCase().split('|').map((p) => p.trim());
  let perm = 0;
  for (const p of parts) {
    if (p === 'PUB') perm |= PUB;
    else if (p === 'SUB') perm |= SUB;
    else if (p === 'DENY' && parts.length === 1) perm = DENY;
    else throw new FlareError('CONFIG_INVALID', `${where} is '${value.slice(0, 40)}'; it must be DENY, PUB, SUB or PUB|SUB`);
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
      if (typeof item !== 'string' || !item.includes('=')) throw new FlareError('CONFIG_INVALID', `${where}[${i}] must be "name=PERM"`);
      const at = item.lastIndexOf('=');
      return [item.slice(0, at).trim(), item.slice(at + 1)];
    });
  } else if (typeof value === 'object' && value !== null) {
    entries = Object.entries(value);
  } else {
    throw new FlareError('CONFIG_INVALID', `${where} must be a list of "name=PERM" or an object {name: PERM}`);
  }
  if (entries.length > MAX_RESOURCE_PERMS) throw new FlareError('CONFIG_INVALID', `${where} has more than ${MAX_RESOURCE_PERMS} entries`);
  for (const [name, perm] of entries) {
    if (!/^[%|a-zA-Z0-9_-]{1,127}$/.test(name)) throw new FlareError('CONFIG_INVALID', `${where}: '${name.slice(0, 40)}' is not a topic or group name`);
    out.set(name, parsePermName(perm, `${where}.${name}`));
  }
  return out;
}

// ---- source addresses ----

/** A CIDR range, as bytes of the network and a prefix length. */
export interface IpRange {
  bytes: Uint8Array;
  prefix: number;
  /** As configured, for messages. */
  text: string;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]{2,45}$/.test(text)) return undefined;
  let head = text;
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail4 = parseIpv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return undefined;
    const n = parseInt(all[i], 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  }
  if (tail4) bytes.set(tail4, 12);
  return bytes;
}

/** Parses an IPv4 or IPv6 address; undefined if it is neither. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address. */
export function parseIpRange(text: unknown, where: string): IpRange {
  if (typeof text !== 'string') throw new FlareError('CONFIG_INVALID', `${where} must be an address or a CIDR range such as 10.0.0.0/8`);
  const [addr, prefixText, extra] = text.trim().split('/');
  const bytes = parseIp(addr);
  const max = bytes ? bytes.length * 8 : 0;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (!bytes || extra !== undefined || prefix < 0 || prefix > max) {
    throw new FlareError('CONFIG_INVALID', `${where} is '${text.slice(0, 60)}'; it must be an address or a CIDR range such as 10.0.0.0/8 or 2001:db8::/32`);
  }
  return { bytes, prefix, text: text.trim() };
}

/** Whether an address (as text) lies in a range. An IPv4-mapped IPv6 address matches IPv4 ranges. */
export function ipInRange(ip: string, range: IpRange): boolean {
  let bytes = parseIp(ip);
  if (!bytes) return false;
  if (bytes.length === 16 && range.bytes.length === 4 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    bytes = bytes.slice(12);
  }
  if (bytes.length !== range.bytes.length) return false;
  const full = Math.floor(range.prefix / 8);
  for (let i = 0; i < full; i++) if (bytes[i] !== range.bytes[i]) return false;
  const rest = range.prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full] & mask) === (range.bytes[full] & mask);
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
    return { code: 'SOURCE_IP_DENIED', detail: `account '${accessKey}' may not call from ${ip ?? 'an unknown address'}` };
  }
  if (rules.admin) return null;
  if (need.admin) return { code: 'ADMIN_REQUIRED', detail: `${need.action} needs an admin account; '${accessKey}' is not one` };
  for (const { name, perm } of need.topics ?? []) {
    const held = topicPerm(rules, name);
    if ((held & perm) !== perm) {
      return { code: 'ACCESS_DENIED', detail: `${need.action} needs ${permName(perm)} on topic '${name}'; account '${accessKey}' has ${permName(held)}` };
    }
  }
  for (const { name, perm } of need.groups ?? []) {
    const held = groupPerm(rules, name);
    if ((held & perm) !== perm) {
      return { code: 'ACCESS_DENIED', detail: `${need.action} needs ${permName(perm)} on group '${name}'; account '${accessKey}' has ${permName(held)}` };
    }
  }
  return null;
}
