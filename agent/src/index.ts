export {
  AGENT_VERSION,
  type AgentSnapshot,
  type RunningAgent,
  type StartOptions,
  startAgent,
} from './agent.js';
export { type AgentConfig, AgentConfigError, type AgentConfigInput, loadAgentConfig } from './config.js';
export { createLogger } from './logger.js';
