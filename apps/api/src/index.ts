// What end-to-end tests and benchmarks use to boot the API exactly as main.ts does.
export { ApiModule } from './api.module';
export { configureHttp } from './http/setup';
export { createCustomerStore } from './infrastructure/customer-store';
export {
  CUSTOMER_KEYS,
  CUSTOMER_STORE,
  EVENT_STORE,
  TOUCHPOINT_IDS,
} from './infrastructure/tokens';
export { serveApi } from './serve';
