// What end-to-end tests and benchmarks use to boot the API exactly as main.ts does.
export { ApiModule } from './api.module';
export { configureHttp } from './http/setup';
