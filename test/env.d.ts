// Types for `env` and `exports` from "cloudflare:workers" inside the tests.
import type { Env as FlaremqEnv } from '../src/env';

declare global {
  namespace Cloudflare {
    interface Env extends FlaremqEnv {}
    interface GlobalProps {
      mainModule: typeof import('../src/workers/index');
    }
  }
}
