/**
 * The core's public entry for hosts (the Electron utility process, the CLI, tests): the composition
 * root's `createCore` and the contract types. Domain code never imports this module.
 */
export { createCore, databasePath } from './compose.js';
export type {
  Core,
  CoreEvents,
  CoreOptions,
  CoreServices,
  HandlerArgs,
  HandlerName,
  HandlerResult,
  Handlers,
  RunResult,
} from './compose.js';
