export { start, type RunningEventStore, type StartOptions } from './embedded-eventstore.server';
// The store without the gRPC layer, for embedding and for measuring its state (bench).
export { DEFAULT_MAX_APPEND_SIZE, EventStore } from './store/event-store';
