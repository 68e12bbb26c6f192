/** Test helpers for code built on the client stores: fake EventSource and tabs, a manual clock, a recorder. */
export * from './fake-event-source';
export * from './helpers';
export * from './fake-tabs';
