export const APP_CONFIG = Symbol('APP_CONFIG');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const MONGO = Symbol('MONGO');
export const CUSTOMER_KEYS = Symbol('CUSTOMER_KEYS');
export const CUSTOMER_STORE = Symbol('CUSTOMER_STORE');
export const KEY_ERASURE_WATCH = Symbol('KEY_ERASURE_WATCH');
export const STREAM_READER = Symbol('STREAM_READER');
export const TOUCHPOINT_IDS = Symbol('TOUCHPOINT_IDS');
