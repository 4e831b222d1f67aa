import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Empty } from '@eventstore/db-client/generated/shared_pb';
import {
  SupportedMethod,
  SupportedMethods,
} from '@eventstore/db-client/generated/serverfeatures_pb';

// The client decides on BatchAppend (and other optional paths) from this list, so it names
// exactly the methods this server implements and nothing else.
const PERSISTENT = 'event_store.client.persistent_subscriptions.PersistentSubscriptions';
// Persistent subscription methods name what they work on: the client 6.2.1 uses the gRPC paths to
// `$all` (and info, list, replay of streams) only for methods advertising these features.
const TO_STREAM_AND_ALL = ['stream', 'all'];
const IMPLEMENTED: readonly (readonly [service: string, method: string, features?: string[]])[] = [
  ['event_store.client.streams.Streams', 'Read'],
  ['event_store.client.streams.Streams', 'Append'],
  ['event_store.client.streams.Streams', 'BatchAppend'],
  ['event_store.client.streams.Streams', 'Delete'],
  ['event_store.client.streams.Streams', 'Tombstone'],
  [PERSISTENT, 'Create', TO_STREAM_AND_ALL],
  [PERSISTENT, 'Update', TO_STREAM_AND_ALL],
  [PERSISTENT, 'Delete', TO_STREAM_AND_ALL],
  [PERSISTENT, 'Read', TO_STREAM_AND_ALL],
  [PERSISTENT, 'GetInfo', TO_STREAM_AND_ALL],
  [PERSISTENT, 'ReplayParked', TO_STREAM_AND_ALL],
  [PERSISTENT, 'List', TO_STREAM_AND_ALL],
  [PERSISTENT, 'RestartSubsystem'],
  ['event_store.client.server_features.ServerFeatures', 'GetSupportedMethods'],
];

export const EMBEDDED_SERVER_VERSION = '23.10.0-embedded';

export function serverFeaturesHandlers(): UntypedServiceImplementation {
  return {
    getSupportedMethods: (
      _call: ServerUnaryCall<Empty, SupportedMethods>,
      callback: sendUnaryData<SupportedMethods>,
    ) => {
      const response = new SupportedMethods();
      response.setEventStoreServerVersion(EMBEDDED_SERVER_VERSION);
      response.setMethodsList(
        IMPLEMENTED.map(([service, method, features]) => {
          const supported = new SupportedMethod();
          supported.setServiceName(service);
          supported.setMethodName(method);
          if (features) supported.setFeaturesList(features);
          return supported;
        }),
      );
      callback(null, response);
    },
  };
}
