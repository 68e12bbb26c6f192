/** Test helpers for code built on the client stores: a fake EventSource, a manual clock, a recorder. */
export * from './fake-event-source';
export * from './helpers';
