import type { AccountVars } from './core/accounts';
import type { ClusterVars } from './core/config';

/**
 * The Worker's and the Durable Objects' bindings: the object namespaces as `npm run types` (wrangler types)
 * generates them from wrangler.toml into worker-configuration.d.ts (`Cloudflare.Env`), which `npm run lint` checks
 * for staleness. Vars and secrets keep the types their parsers take (ClusterVars, AccountVars: optional, strings
 * from the dashboard, `--var` or .dev.vars, or JSON values from wrangler.toml), not the generated ones.
 */
export type Env = Omit<Cloudflare.Env, keyof ClusterVars | keyof AccountVars> & ClusterVars & AccountVars;
