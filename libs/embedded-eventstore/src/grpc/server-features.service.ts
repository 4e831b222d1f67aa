import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Empty } from '@eventstore/db-client/generated/shared_pb';
import {
  SupportedMethod,
  SupportedMethods,
} from '@eventstore/db-client/generated/serverfeatures_pb';

// The client decides on BatchAppend (and other optional paths) from this list, so it names
// exactly the methods this server implements and nothing else.
const IMPLEMENTED: readonly (readonly [service: string, method: string])[] = [
  ['event_store.client.streams.Streams', 'Read'],
  ['event_store.client.streams.Streams', 'Append'],
  ['event_store.client.streams.Streams', 'BatchAppend'],
  ['event_store.client.streams.Streams', 'Delete'],
  ['event_store.client.streams.Streams', 'Tombstone'],
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
        IMPLEMENTED.map(([service, method]) => {
          const supported = new SupportedMethod();
          supported.setServiceName(service);
          supported.setMethodName(method);
          return supported;
        }),
      );
      callback(null, response);
    },
  };
}
