export type * from './event-types.js';
