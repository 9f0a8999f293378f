/** Client ids: `^[a-zA-Z0-9_.:@-]{1,128}$`, unique per consumer instance. */

const CLIENT_ID = /^[a-zA-Z0-9_.:@-]{1,128}$/;

/** A fresh id: `prefix@` and 16 random hex digits (crypto.getRandomValues works in Workers, Node and every browser context). */
export function newClientId(prefix = 'flaremq-sdk'): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `${prefix}@${hex}`;
}

export function isValidClientId(id: string): boolean {
  return CLIENT_ID.test(id);
}
