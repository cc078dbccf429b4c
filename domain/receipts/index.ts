export * from './state.ts';
export * from './commands.ts';
export { evolve } from './evolve.ts';
export { decide } from './decide.ts';
export type { ReceiptEvent } from '../events.ts';
