/** The CLI's entry point (bin/flaremq.mjs bundles and runs this file). */
import { main } from './index';

await main();
