export { start, type RunningEventStore, type StartOptions } from './embedded-eventstore.server';
export { EMBEDDED_EVENTSTORE_NODE_FLAGS } from './node-flags';
// The store without the gRPC layer, for embedding and for measuring its state (bench).
export { DEFAULT_MAX_APPEND_SIZE, EventStore } from './store/event-store';
