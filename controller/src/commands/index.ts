/**
 * The signed-command service, as other folders use it: the service (created by the core app), the
 * command key, the role policy, tracking, the request bodies and the /commands routes.
 */
export { MinerCommandBody } from './bodies.js';
export {
  ACCEPTED_STATES,
  type CommandedWindow,
  commandedReason,
  commandedWindows,
  DONE_STATES,
  sqlStates,
} from './effects.js';
export { sendError } from './http-errors.js';
export {
  type CommandKey,
  listCommandKeys,
  loadCommandKey,
  type PublicCommandKey,
  promoteNextCommandKey,
  stageNextCommandKey,
} from './keys.js';
export { APPROVER_ROLES, COMMAND_POLICY, refusalFor } from './policy.js';
export { commandRoutes } from './routes.js';
export { CommandError, type Commands, createCommands } from './service.js';
export { commandStateRoutes } from './state-routes.js';
export { expireOverdue } from './tracking.js';
