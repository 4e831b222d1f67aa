import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDED_EVENTSTORE_NODE_FLAGS } from './node-flags';

describe('EMBEDDED_EVENTSTORE_NODE_FLAGS', () => {
  it('are the flags `npm run embedded:eventstore` starts the server with (the launcher passes the constant itself)', () => {
    const pkg = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as {
      scripts: Record<string, string>;
    };
    const script = pkg.scripts['embedded:eventstore'];
    const nodeCommand = script.slice(script.indexOf('&& node ') + '&& '.length);
    const flags = nodeCommand.split(' ').filter((part) => part.startsWith('--'));
    expect(flags).toEqual([...EMBEDDED_EVENTSTORE_NODE_FLAGS]);
  });
});
