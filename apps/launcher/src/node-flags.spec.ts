import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDED_EVENTSTORE_NODE_FLAGS } from '@app/embedded-eventstore';
import { EMBEDDED_MONGO_NODE_FLAGS } from '@app/embedded-mongo';

// The launcher passes each server's constant itself; the npm scripts spell the flags out.
describe('embedded servers node flags', () => {
  const pkg = JSON.parse(
    readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
  ) as {
    scripts: Record<string, string>;
  };

  it.each([
    ['embedded:mongo', EMBEDDED_MONGO_NODE_FLAGS],
    ['embedded:eventstore', EMBEDDED_EVENTSTORE_NODE_FLAGS],
  ])('are the flags `npm run %s` starts the server with', (name, constant) => {
    const script = pkg.scripts[name];
    const nodeCommand = script.slice(script.indexOf('&& node ') + '&& '.length);
    const flags = nodeCommand.split(' ').filter((part) => part.startsWith('--'));
    expect(flags).toEqual([...constant]);
  });
});
