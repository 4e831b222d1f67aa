import { randomUUID } from 'node:crypto';
import type { EventStore, ProposedEvent } from '../store/event-store';

// What a single EventStoreDB node without the projections subsystem writes by itself, so that
// consumers reading `$all` meet system events here as they would there and learn to filter them:
// - on every start, the epoch of the new leadership term: `$epoch-information` in the stream of the
//   same name;
// - on the first start, the retention of the scavenge history (`$metadata` of `$scavenges`, 30 days),
//   and the two default users: `$user` in `$user-admin` and `$user-ops`, each followed by
//   `$UserCreated` in `$users` (the login name as data).
// The user records carry no password hash: this server authenticates only the generated admin
// password (see security/), and `ops` cannot log in.
export const EPOCH_STREAM = '$epoch-information';
export const USERS_STREAM = '$users';
const SCAVENGE_HISTORY_MAX_AGE_S = 30 * 24 * 60 * 60;
const DEFAULT_USERS = [
  { loginName: 'admin', fullName: 'Event Store Administrator', groups: ['$admins'] },
  { loginName: 'ops', fullName: 'Event Store Operations', groups: ['$ops'] },
] as const;

function jsonEvent(type: string, data: unknown): ProposedEvent {
  return {
    id: randomUUID(),
    type,
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify(data), 'utf8'),
    metadata: Buffer.alloc(0),
  };
}

export async function writeStartupSystemEvents(
  store: EventStore,
  instanceId: string,
): Promise<void> {
  const epochs = store.streamState(EPOCH_STREAM)?.revisions.length ?? 0;
  await store.append(EPOCH_STREAM, 'any', [
    jsonEvent('$epoch-information', {
      epochNumber: epochs,
      epochId: randomUUID(),
      leaderInstanceId: instanceId,
      timeStamp: new Date().toISOString(),
    }),
  ]);
  if (store.streamState(USERS_STREAM)) return;
  await store.append('$$$scavenges', 'any', [
    jsonEvent('$metadata', { $maxAge: SCAVENGE_HISTORY_MAX_AGE_S }),
  ]);
  for (const user of DEFAULT_USERS) {
    await store.append(`$user-${user.loginName}`, 'no_stream', [
      jsonEvent('$user', { ...user, disabled: false }),
    ]);
    await store.append(USERS_STREAM, 'any', [jsonEvent('$UserCreated', user.loginName)]);
  }
}
