export { start, type RunningEventStore, type StartOptions } from './embedded-eventstore.server';
export { DEFAULT_MAX_APPEND_SIZE } from './store/event-store';
