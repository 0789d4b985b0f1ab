/**
 * The floors of functions/ (ARCHITECTURE.md), top to bottom:
 *
 *   routes.ts, openapi.ts, api/ hooks/ workers/   handlers and the tables that list them
 *   app/                                          composition root: services built once per cold start
 *   edge/                                         HTTP and queue wrappers, auth, rate limits, schemas
 *   store/  providers/                            DynamoDB aggregates; provider adapters
 *   runtime/                                      config, clients, logger, queues, envelope, outbound, ssrf
 *   core/                                         pure domain: rules, types and the ports adapters implement
 *
 * A module imports only from its own floor or the ones below; handlers reach
 * store/, providers/ and runtime/ only through app/ or edge/. `npm run lint` runs this.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const floor = (name, allowed) => ({
  name: `${name}-floor`,
  comment: `functions/${name}/ imports only from ${allowed.join(', ')} (and npm packages).`,
  severity: 'error',
  from: { path: `^functions/${name}/` },
  to: {
    path: '^functions/',
    pathNot: `^functions/(${[name, ...allowed].join('|')})/`,
  },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle, between modules or between folders.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { circular: true },
    },
    floor('core', []),
    floor('runtime', ['core']),
    floor('store', ['runtime', 'core']),
    floor('providers', ['runtime', 'core']),
    {
      ...floor('edge', ['store', 'providers', 'runtime', 'core']),
      to: { path: '^functions/', pathNot: '^functions/((edge|store|providers|runtime|core)/|routes\\.ts$)' },
    },
    {
      ...floor('app', ['edge', 'store', 'providers', 'runtime', 'core']),
      to: {
        path: '^functions/',
        pathNot: '^functions/((app|edge|store|providers|runtime|core)/|routes\\.ts$)',
      },
    },
    {
      name: 'handlers-through-app',
      comment:
        'Handlers get their services from app/ (built once per cold start) and the wrappers from edge/; they do not reach store/ or providers/ themselves.',
      severity: 'error',
      from: { path: '^functions/(api|hooks|workers)/' },
      to: { path: '^functions/(store|providers)/' },
    },
    {
      name: 'core-is-pure',
      comment: 'core/ does no I/O: no AWS SDK, no logger, no HTTP client.',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: { path: 'node_modules/(@aws-sdk|@aws-lambda-powertools|undici)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
