/**
 * The InfluxDB schema the controller writes (database/bucket `hashfleet`) and the dashboards read.
 * One row per measurement: its tags and its fields. Dashboards' tests parse every query and
 * check it against this table, so a renamed field fails the build, not a panel at 3 a.m.
 */
export const INFLUX_DATABASE = 'hashfleet';

export interface MeasurementSchema {
  readonly tags: readonly string[];
  readonly fields: readonly string[];
}

export const influxSchema = {
  miner: {
    tags: ['site', 'container', 'rack', 'model', 'profile', 'miner'],
    fields: [
      'hashrate_ths',
      'hashrate_avg_ths',
      'expected_ths',
      'power_w',
      'chip_temp_max_c',
      'board_temp_max_c',
      'inlet_temp_c',
      'outlet_temp_c',
      'fan_rpm_max',
      'diff1_shares',
      'online',
    ],
  },
  board: {
    tags: ['site', 'container', 'miner', 'board'],
    fields: ['hashrate_ths', 'chip_temp_c', 'board_temp_c', 'chips'],
  },
  container: {
    tags: ['site', 'container'],
    fields: [
      'hashrate_ths',
      'expected_ths',
      'power_w',
      'efficiency_j_per_th',
      'miners_online',
      'miners_hashing',
      'miners_total',
      'hottest_chip_c',
    ],
  },
  outlet: { tags: ['site', 'container', 'pdu', 'outlet'], fields: ['power_w', 'current_a', 'energy_wh'] },
  pdu: { tags: ['site', 'container', 'pdu'], fields: ['power_w', 'energy_wh'] },
  sensor: { tags: ['site', 'container', 'pdu', 'sensor', 'kind', 'location'], fields: ['value'] },
  /** One point per PDU phase (controller/src/core/influx/points-pdu.ts); rated_current_a is the PDU's own limit. */
  pdu_phase: {
    tags: ['site', 'container', 'pdu', 'phase'],
    fields: ['current_a', 'voltage_v', 'power_w', 'rated_current_a'],
  },
  agent: {
    tags: ['site', 'container', 'agent'],
    fields: [
      'poll_cycle_ms',
      'poll_errors',
      'spool_messages',
      'spool_bytes',
      'spool_dropped',
      'publish_latency_ms',
    ],
  },
  staker_hashrate: { tags: ['staker', 'node'], fields: ['hashrate_ths', 'share'] },
  /** One point per container-hour (controller/src/core/influx/points-energy.ts), priced by the site's tariff. */
  energy: {
    tags: ['site', 'container', 'currency'],
    fields: [
      'energy_wh',
      'energy_wh_metered',
      'energy_wh_reported',
      'energy_wh_estimated',
      'rate_per_kwh',
      'cost',
      'diff1_shares',
      'work_ths_h',
    ],
  },
  miner_shares: {
    tags: ['site', 'container', 'miner'],
    fields: ['accepted', 'rejected', 'difficulty_accepted', 'difficulty_rejected', 'hardware_errors'],
  },
  miner_event: { tags: ['site', 'container', 'miner', 'kind'], fields: ['text'] },
} as const satisfies Record<string, MeasurementSchema>;

export type Measurement = keyof typeof influxSchema;
