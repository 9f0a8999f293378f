// WebCrypto's CryptoKey, which src/core/request-signing.ts names, as a global
// type under Node's types (the CLI is checked without the DOM lib).
type CryptoKey = import('node:crypto').webcrypto.CryptoKey;
