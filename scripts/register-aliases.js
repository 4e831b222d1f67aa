// Resolves the @app/<lib> and @apps/<app> aliases for code that jest's moduleNameMapper does not
// reach (globalSetup) and for plain `node -r ./scripts/register-ts.js` runs.
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..');
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, parent, ...rest) {
  const lib = /^@app\/([a-z-]+)$/.exec(request);
  if (lib) request = path.join(root, 'libs', lib[1], 'src');
  const app = /^@apps\/([a-z-]+)$/.exec(request);
  if (app) request = path.join(root, 'apps', app[1], 'src');
  return originalResolve.call(this, request, parent, ...rest);
};
