/** Everything shared by server, browser and mocks: the wire types and the feed simulations. */
export * from './contract';
export * from './errors';
export * from './numbers';
export * from './random';
export * from './sse';
export * from './stocks';
export * from './time';
export * from './training';
export * from './validate';
