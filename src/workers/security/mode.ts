/**
 * How the Worker decides who may call it:
 *
 * - accounts configured (the FLAREMQ_ACCOUNTS secret): every request is
 *   signed and checked against the account's ACL, whatever FLAREMQ_MODE says;
 * - no accounts and FLAREMQ_MODE=development (`npm start`, the test projects)
 *   or FLAREMQ_MODE=open (a deployment opened on purpose, e.g. behind
 *   Cloudflare Access): everything is served unsigned, and the log says so loudly;
 * - no accounts and FLAREMQ_MODE unset or `production` (a deployment): reads (GET, HEAD) are
 *   served; writes and administration are refused with 403 ACCOUNTS_NOT_CONFIGURED.
 */
import { accounts, type AccountBook, type AccountVars } from '../../core/accounts';
import { FlareError } from '../../core/errors';

export type SecurityMode =
  | { kind: 'accounts'; book: AccountBook }
  | { kind: 'development' }
  | { kind: 'open' }
  | { kind: 'closed' };


export function securityMode(vars: AccountVars): SecurityMode {
  const book = accounts(vars);
  if (book.size > 0) return { kind: 'accounts', book };
  const mode = vars.FLAREMQ_MODE?.trim() ?? '';
  if (mode === 'development') return { kind: 'development' };
  if (mode === 'open') return { kind: 'open' };
  if (mode !== '' && mode !== 'production') {
    throw new FlareError('CONFIG_INVALID', `FLAREMQ_MODE is '${mode.slice(0, 40)}'; it must be development, open, production or unset`);
  }
  return { kind: 'closed' };
}

let announced = '';

/** Says once per isolate, loudly, when the Worker serves requests without checking who sends them. */
export function announce(mode: SecurityMode): void {
  if (mode.kind === 'accounts' || announced === mode.kind) return;
  announced = mode.kind;
  const bar = '!'.repeat(78);
  const text =
    mode.kind === 'closed'
      ? 'flaremq: NO ACCOUNTS CONFIGURED: only reads are served; writes and administration are refused (403 ACCOUNTS_NOT_CONFIGURED). Set the FLAREMQ_ACCOUNTS secret (docs/security.md).'
      : `flaremq: OPEN MODE (FLAREMQ_MODE=${mode.kind}, no FLAREMQ_ACCOUNTS): EVERY REQUEST IS SERVED WITHOUT AUTHENTICATION OR ACCESS CONTROL.${mode.kind === 'development' ? ' This is local development; never deploy with FLAREMQ_MODE=development.' : ''} See docs/security.md.`;
  console.warn(`${bar}\n${text}\n${bar}`);
}
