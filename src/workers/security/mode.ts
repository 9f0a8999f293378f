/**
 * How the Worker decides who may call it:
 *
 * - accounts configured (the FLAREMQ_ACCOUNTS secret): every request is
 *   signed and checked against the account's ACL, whatever FLAREMQ_MODE says;
 * - no accounts and FLAREMQ_MODE=development (`npm start`, the test projects)
 *   or FLAREMQ_MODE=open (a deployment opened on purpose, e.g. behind
 *   Cloudflare Access): everything is served unsigned, and the log says so loudly;
 * - no accounts and FLAREMQ_MODE unset or `production` (a fresh `wrangler deploy`):
 *   closed. Nothing is served but what a probe needs (the OpenAPI document, and
 *   the index and dashboard page outside /api/v1); every other request of the
 *   REST API and the HTTP protocol is refused with 403 ACCOUNTS_NOT_CONFIGURED
 *   ({@link accountsNotConfigured}), GETs included: a GET on the HTTP protocol consumes.
 *
 * A FLAREMQ_ACCOUNTS or FLAREMQ_MODE that does not parse refuses every request
 * with 500 SERVER_MISCONFIGURED, which says nothing of the secret; the detail
 * goes to the Worker's log (once per isolate).
 */
import { accounts, type AccountBook, type AccountVars } from '../../core/accounts';
import { FlareError, toFlareError } from '../../core/errors';
import { log } from '../../log';

export type SecurityMode =
  | { kind: 'accounts'; book: AccountBook }
  | { kind: 'development' }
  | { kind: 'open' }
  | { kind: 'closed' };

/** The mode `vars` give; throws SERVER_MISCONFIGURED (details in the log only) when they do not parse. */
export function securityMode(vars: AccountVars): SecurityMode {
  try {
    return modeOf(vars);
  } catch (err) {
    const flare = toFlareError(err);
    if (flare?.code !== 'CONFIG_INVALID') throw err;
    if (!misconfigurations.has(flare.detail)) {
      misconfigurations.add(flare.detail);
      log.error('every request is refused with 500 SERVER_MISCONFIGURED until this is fixed (docs/security.md)', {
        code: 'SERVER_MISCONFIGURED',
        reason: flare.detail,
      });
    }
    throw new FlareError(
      'SERVER_MISCONFIGURED',
      'the server is misconfigured; its operator finds the cause in the Worker log',
    );
  }
}

/** Misconfigurations already logged by this isolate. */
const misconfigurations = new Set<string>();

function modeOf(vars: AccountVars): SecurityMode {
  const book = accounts(vars);
  if (book.size > 0) return { kind: 'accounts', book };
  const mode = vars.FLAREMQ_MODE?.trim() ?? '';
  if (mode === 'development') return { kind: 'development' };
  if (mode === 'open') return { kind: 'open' };
  if (mode !== '' && mode !== 'production') {
    throw new FlareError(
      'CONFIG_INVALID',
      `FLAREMQ_MODE is '${mode.slice(0, 40)}'; it must be development, open, production or unset`,
    );
  }
  return { kind: 'closed' };
}

/** The refusal of everything but the probes' routes on a closed deployment (no accounts, no FLAREMQ_MODE). */
export function accountsNotConfigured(): FlareError {
  return new FlareError(
    'ACCOUNTS_NOT_CONFIGURED',
    'this deployment has no accounts, so it serves nobody: set the FLAREMQ_ACCOUNTS secret (npx wrangler secret put FLAREMQ_ACCOUNTS) and sign requests, or for local development run with FLAREMQ_MODE=development (npm start does); see docs/security.md',
  );
}

let announced = '';

/** Says once per isolate, loudly, when the Worker serves requests without checking who sends them. */
export function announce(mode: SecurityMode): void {
  if (mode.kind === 'accounts' || announced === mode.kind) return;
  announced = mode.kind;
  const text =
    mode.kind === 'closed'
      ? 'NO ACCOUNTS CONFIGURED: nothing is served but /api/v1/openapi.json and the index; every other request is refused (403 ACCOUNTS_NOT_CONFIGURED). Set the FLAREMQ_ACCOUNTS secret (docs/security.md).'
      : `OPEN MODE (FLAREMQ_MODE=${mode.kind}, no FLAREMQ_ACCOUNTS): EVERY REQUEST IS SERVED WITHOUT AUTHENTICATION OR ACCESS CONTROL.${mode.kind === 'development' ? ' This is local development; never deploy with FLAREMQ_MODE=development.' : ''} See docs/security.md.`;
  log.warn(text, { mode: mode.kind });
}
