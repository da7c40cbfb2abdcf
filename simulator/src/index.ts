import { type BenchParams, benchScenario } from './scenario/bench.js';
import { type DemoParams, demoScenario } from './scenario/demo.js';
import { parseScenario, type Scenario } from './scenario/schema.js';

export { SimClock } from './clock.js';
export { md5crypt } from './crypto/md5crypt.js';
export {
  wmV2Decrypt,
  wmV2Encrypt,
  wmV2Key,
  wmV2Sign,
  wmV3EncryptParam,
  wmV3Token,
} from './crypto/whatsminer.js';
export { frame as wmV3Frame } from './firmware/whatsminer-v3.js';
export type { Fault, FaultInput, FaultKind } from './model/faults.js';
export { FaultSchema } from './model/faults.js';
export { readSimulatedImage, type SimImage, simulatedImage } from './model/firmware-image.js';
export type { SimPduInfo } from './pdu/pdu.js';
export { phaseOfOutlet } from './pdu/pdu.js';
export type { BenchParams } from './scenario/bench.js';
export {
  ALL_PROFILES,
  PROFILE_MODELS,
  type Profile,
  type SmallScenarioParams,
  smallScenario,
} from './scenario/build.js';
export type { DemoParams } from './scenario/demo.js';
export {
  type MinerSpec,
  type PduSpec,
  parseScenario,
  type Scenario,
  type ScenarioInput,
  ScenarioSchema,
} from './scenario/schema.js';
export {
  type MinerTruth,
  type SimMinerInfo,
  Simulation,
  type SimulationOptions,
  startSimulation,
} from './simulation.js';

export type ScenarioName = 'demo' | 'bench';

/** The shipped scenarios, validated. */
export function loadScenario(name: 'demo', params?: DemoParams): Scenario;
export function loadScenario(name: 'bench', params?: BenchParams): Scenario;
export function loadScenario(name: ScenarioName, params?: DemoParams | BenchParams): Scenario;
export function loadScenario(name: ScenarioName, params: DemoParams | BenchParams = {}): Scenario {
  if (name === 'demo') return parseScenario(demoScenario(params as DemoParams));
  if (name === 'bench') return parseScenario(benchScenario(params as BenchParams));
  throw new Error(`scenario ${String(name)}: unknown (demo, bench)`);
}
