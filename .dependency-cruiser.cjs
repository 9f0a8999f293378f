// The layer rules (DEVELOPERS.md, "Lint and layers"; docs/architecture.md), checked by `npm run lint`.
// test/node/layer-rules.test.ts breaks each rule in a fixture tree (test/node/fixtures/layers) and expects it to fire.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'src/core is the shared logic of the server and the SDK: it imports nothing of the runtime ' +
        '(no cloudflare:*, no Worker, objects, SDK or CLI, no npm package such as hono), only src/core. ' +
        "One pure library is allowed: ipaddr.js, for the ACL's address ranges (acl.ts, which the SDK does not import).",
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '^node_modules/ipaddr\\.js/'] },
    },
    {
      name: 'sdk-imports-shared-code-only',
      severity: 'error',
      comment:
        'The SDK runs in browsers, Node and Workers and has no dependencies: it imports only src/sdk and src/core, ' +
        'no npm package, no Node built-in, no cloudflare:*.',
      from: { path: '^src/sdk/' },
      to: { pathNot: '^src/(sdk|core)/' },
    },
    {
      name: 'workers-reach-objects-through-stubs',
      severity: 'error',
      comment:
        'The Worker calls Durable Objects only through the stub factory (src/durable-objects/stubs.ts), which applies ' +
        'placement, outcome mapping and latency tracking once; it may import types of the objects. ' +
        'src/workers/index.ts exports the object classes for wrangler. The services (src/services/) likewise; ' +
        "name-server-client.ts is the factory's failover over the NameServers.",
      from: { path: '^src/(workers|services)/', pathNot: '^src/workers/index\\.ts$' },
      to: {
        path: '^src/durable-objects/',
        pathNot: '^src/durable-objects/(stubs|name-server-client)\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'objects-do-not-import-workers',
      severity: 'error',
      comment:
        'Durable Objects sit below the Worker and its services: src/durable-objects never imports src/workers or src/services.',
      from: { path: '^src/durable-objects/' },
      to: { path: '^src/(workers|services)/' },
    },
    {
      name: 'services-below-routes',
      severity: 'error',
      comment: 'Routes (src/workers) call services (src/services), never the other way: a service knows no HTTP route.',
      from: { path: '^src/services/' },
      to: { path: '^src/workers/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules import each other in one direction only.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    // `import type` counts, as dependency type 'type-only' (the Worker may import the objects' types).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    // cloudflare:* modules are the runtime's own: they resolve to nothing, and count as a dependency all the same.
    builtInModules: { add: ['cloudflare:workers', 'cloudflare:sockets', 'cloudflare:email', 'cloudflare:test'] },
  },
};
