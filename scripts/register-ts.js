// Lets plain `node -r ./scripts/register-ts.js file.ts` run the project's TypeScript without a
// build step: used by tests that spawn child processes (crash tests) and by benchmarks.
// Compiles with swc (same settings as jest) and resolves the @app/<lib> aliases.
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '..');
const swcOptions = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swcOptions.$schema;

require('./register-aliases');

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...swcOptions, filename, swcrc: false });
  module._compile(code, filename);
};
