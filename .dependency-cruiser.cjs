/**
 * The dependency direction of ARCHITECTURE.md, checked by `npm run deps:check` (part of `npm test`):
 * cli -> coordinator | site-agent -> models | core -> protos, no cycles.
 * `import type` counts too: a type-only import is still a dependency of the design.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: the modules cannot be understood, tested or loaded one without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-and-models-below-the-services',
      severity: 'error',
      comment: 'core/ and models/ are what both sides use: they import nothing from coordinator/, site-agent/ or cli/.',
      from: { path: '^(core|models)/' },
      to: { path: '^(coordinator|site-agent|cli)/' },
    },
    {
      name: 'site-agent-not-coordinator',
      severity: 'error',
      comment: 'The site agent and the coordinator are separate parties: neither imports the other (shared code belongs in core/).',
      from: { path: '^site-agent/' },
      to: { path: '^coordinator/' },
    },
    {
      name: 'coordinator-not-site-agent',
      severity: 'error',
      comment: 'The site agent and the coordinator are separate parties: neither imports the other (shared code belongs in core/).',
      from: { path: '^coordinator/' },
      to: { path: '^site-agent/' },
    },
    {
      name: 'protos-at-the-bottom',
      severity: 'error',
      comment: 'protos/ holds the wire types and their loader: it imports nothing of Cohort above it.',
      from: { path: '^protos/' },
      to: { path: '^(core|models|coordinator|site-agent|cli|scripts)/' },
    },
    {
      name: 'product-code-not-scripts-or-tests',
      severity: 'error',
      comment: 'What ships (core, models, coordinator, site-agent) never imports developer scripts or tests.',
      from: { path: '^(core|models|coordinator|site-agent|protos)/' },
      to: { path: '^(scripts|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|bench-results|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
