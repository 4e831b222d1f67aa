import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDED_EVENTSTORE_NODE_FLAGS } from '@app/embedded-eventstore';
import { EMBEDDED_MONGO_NODE_FLAGS } from '@app/embedded-mongo';
import { READ_MODEL_NODE_FLAGS } from '@app/read-models';

// The launcher takes each process's constant from its table; the npm scripts and the image spell the flags out.
describe('node flags of the servers and the read-model processes', () => {
  const pkg = JSON.parse(
    readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
  ) as {
    scripts: Record<string, string>;
  };

  it.each([
    ['embedded:mongo', EMBEDDED_MONGO_NODE_FLAGS],
    ['embedded:eventstore', EMBEDDED_EVENTSTORE_NODE_FLAGS],
    ['projections', READ_MODEL_NODE_FLAGS],
    // The benchmark process is the rebuilding process there.
    ['bench:audit', READ_MODEL_NODE_FLAGS],
  ])('are the flags `npm run %s` starts its process with', (name, constant) => {
    const script = pkg.scripts[name];
    const nodeCommand = script.slice(script.indexOf('&& node ') + '&& '.length);
    const flags = nodeCommand.split(' ').filter((part) => part.startsWith('--'));
    expect(flags).toEqual([...constant]);
  });

  it("are the image's NODE_OPTIONS for the apps", () => {
    const dockerfile = readFileSync(join(__dirname, '..', '..', '..', 'Dockerfile'), 'utf8');
    const options = /^ENV NODE_OPTIONS=(.*)$/m.exec(dockerfile)?.[1];
    expect(options?.split(' ')).toEqual([...READ_MODEL_NODE_FLAGS]);
  });
});
