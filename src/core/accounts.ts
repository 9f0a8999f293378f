/**
 * Accounts: who may call flaremq with a signed request (the RocketMQ HTTP
 * protocol signs with an access key and a secret key).
 *
 * They come from the wrangler secret FLAREMQ_ACCOUNTS, a JSON array:
 *
 *   [{"accessKey": "ak-1", "secretKey": "…"}, {"accessKey": "ak-2", "secretKey": "…"}]
 *
 * One object per account. Besides the keys, an account carries RocketMQ's ACL
 * fields (all optional): `admin`, `defaultTopicPerm`, `defaultGroupPerm`
 * (DENY, PUB, SUB, PUB|SUB; default DENY), `topicPerms` and `groupPerms`
 * (`["TopicA=PUB"]` or `{"TopicA": "PUB"}`) and `allowedIps` (CIDR ranges
 * matched against CF-Connecting-IP). An unknown field is refused, not
 * ignored: a deployment never silently grants what its secret meant to restrict.
 *
 * With no accounts (the secret unset or an empty array) FLAREMQ_MODE decides:
 * see src/workers/security/mode.ts and docs/security.md.
 */
import { parseIpRange, parsePermName, parseResourcePerms, DENY, MAX_ALLOWED_IPS, type AccessRules } from './acl';
import { FlareError } from './errors';

/** One account: its keys and its access rules (src/core/acl.ts; docs/security.md). */
export interface Account extends AccessRules {
  /** The public half: the AccessKeyId a client names in `Authorization: MQ <accessKey>:<signature>`. 1 to 128 of A-Z a-z 0-9 . _ - */
  accessKey: string;
  /** The shared secret the client signs with (HMAC-SHA1). 1 to 256 characters; never logged nor returned. */
  secretKey: string;
}

/** The vars the accounts come from (a wrangler secret, or a var in development). */
export interface AccountVars {
  /** A JSON array of {@link Account}; unset or `[]` for local development without signatures. */
  FLAREMQ_ACCOUNTS?: string;
  /**
   * What happens without accounts: `development` (set by `npm start` and the
   * test projects) or `open` serve everything unsigned; unset (a deployment)
   * serves nothing but the OpenAPI document (src/workers/security/mode.ts). Ignored once
   * accounts exist: then every request is signed.
   */
  FLAREMQ_MODE?: string;
}

/** Accounts by access key. Empty means local development: signatures are not checked. */
export type AccountBook = ReadonlyMap<string, Account>;

/** Most accounts one deployment holds (each is looked up by key; the limit keeps the secret small). */
export const MAX_ACCOUNTS = 1000;

const ACCESS_KEY = /^[A-Za-z0-9._-]{1,128}$/;
const KNOWN_FIELDS = new Set<string>([
  'accessKey',
  'secretKey',
  'admin',
  'defaultTopicPerm',
  'defaultGroupPerm',
  'topicPerms',
  'groupPerms',
  'allowedIps',
]);

function invalid(detail: string): FlareError {
  return new FlareError('CONFIG_INVALID', `FLAREMQ_ACCOUNTS: ${detail}`);
}

/**
 * Reads FLAREMQ_ACCOUNTS: unset, empty or `[]` gives no accounts; anything
 * else must be a JSON array of `{accessKey, secretKey}` with distinct access
 * keys. Throws CONFIG_INVALID naming what to fix (never quoting a secret).
 */
export function parseAccounts(raw: unknown): AccountBook {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return new Map();
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalid('is not JSON; it must be a JSON array of {"accessKey": "...", "secretKey": "..."}');
    }
  }
  if (!Array.isArray(value)) throw invalid('must be a JSON array of {"accessKey": "...", "secretKey": "..."}');
  if (value.length > MAX_ACCOUNTS) throw invalid(`holds ${value.length} accounts; at most ${MAX_ACCOUNTS} are allowed`);
  const book = new Map<string, Account>();
  value.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`[${i}] must be an object`);
    const fields = entry as Record<string, unknown>;
    for (const name of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(name))
        throw invalid(
          `[${i}] has an unknown field '${name.slice(0, 40)}'; an account has ${[...KNOWN_FIELDS].join(', ')}`,
        );
    }
    const { accessKey, secretKey } = fields;
    if (typeof accessKey !== 'string' || !ACCESS_KEY.test(accessKey)) {
      throw invalid(`[${i}].accessKey must be 1 to 128 letters, digits, '.', '_' or '-'`);
    }
    if (typeof secretKey !== 'string' || secretKey.length === 0 || secretKey.length > 256) {
      throw invalid(`[${i}].secretKey (of '${accessKey}') must be a string of 1 to 256 characters`);
    }
    if (book.has(accessKey)) throw invalid(`access key '${accessKey}' is listed twice`);
    book.set(accessKey, { accessKey, secretKey, ...parseRules(fields, `[${i}] (${accessKey})`) });
  });
  return book;
}

/** The ACL fields of one account entry, with RocketMQ's defaults (not admin, DENY everywhere, from anywhere). */
function parseRules(fields: Record<string, unknown>, where: string): AccessRules {
  const { admin = false, defaultTopicPerm, defaultGroupPerm, topicPerms, groupPerms, allowedIps } = fields;
  if (typeof admin !== 'boolean') throw invalid(`${where}.admin must be true or false`);
  let ranges: AccessRules['allowedIps'];
  if (allowedIps !== undefined) {
    if (!Array.isArray(allowedIps) || allowedIps.length === 0 || allowedIps.length > MAX_ALLOWED_IPS) {
      throw invalid(`${where}.allowedIps must be a list of 1 to ${MAX_ALLOWED_IPS} addresses or CIDR ranges`);
    }
    ranges = allowedIps.map((r, j) => parseIpRange(r, `FLAREMQ_ACCOUNTS: ${where}.allowedIps[${j}]`));
  }
  const perm = (v: unknown, name: string) =>
    v === undefined ? DENY : parsePermName(v, `FLAREMQ_ACCOUNTS: ${where}.${name}`);
  return {
    admin,
    defaultTopicPerm: perm(defaultTopicPerm, 'defaultTopicPerm'),
    defaultGroupPerm: perm(defaultGroupPerm, 'defaultGroupPerm'),
    topicPerms: parseResourcePerms(topicPerms, `FLAREMQ_ACCOUNTS: ${where}.topicPerms`),
    groupPerms: parseResourcePerms(groupPerms, `FLAREMQ_ACCOUNTS: ${where}.groupPerms`),
    allowedIps: ranges,
  };
}

const cache = new WeakMap<object, AccountBook>();

/** parseAccounts of `vars.FLAREMQ_ACCOUNTS`, once per env object. */
export function accounts(vars: AccountVars): AccountBook {
  let book = cache.get(vars);
  if (!book) {
    book = parseAccounts(vars.FLAREMQ_ACCOUNTS);
    cache.set(vars, book);
  }
  return book;
}
