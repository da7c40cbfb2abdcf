/** What `npm start` prints once everything runs: where to go, who to be, what to try. */

export interface BannerInput {
  url: string;
  mqttUrl: string;
  dataDir: string;
  sites: number;
  containers: number;
  miners: number;
  pollS: number;
  tokens: { role: string; name: string; token: string }[];
  firstContainerId: string | null;
  /** Things that did not start as intended, printed first. */
  warnings: string[];
}

export function banner(b: BannerInput): string {
  const width = Math.max(...b.tokens.map((t) => `${t.role} (${t.name})`.length));
  const tokens = b.tokens.map((t) => `  ${`${t.role} (${t.name})`.padEnd(width)}  ${t.token}`);
  const admin = b.tokens.find((t) => t.role === 'admin')?.token ?? '<token>';
  return [
    ...b.warnings.map((w) => `WARNING: ${w}`),
    '',
    `hashfleet demo: ${b.sites} sites, ${b.containers} containers, ${b.miners} simulated miners, agents poll every ${b.pollS} s`,
    '',
    `  Web UI        ${b.url}/`,
    `  API docs      ${b.url}/docs`,
    `  MQTT broker   ${b.mqttUrl}`,
    `  Data          ${b.dataDir}`,
    '',
    'Tokens (paste one into the web UI; each role sees its own views):',
    ...tokens,
    '',
    'Try this:',
    `  - open ${b.url}/ and log in as technician: Containers shows each slot live, colour by chip temperature`,
    b.firstContainerId
      ? `  - curl -H 'Authorization: Bearer ${admin}' ${b.url}/api/v1/containers/${b.firstContainerId}`
      : `  - curl -H 'Authorization: Bearer ${admin}' ${b.url}/api/v1/sites`,
    '  - log in as a staker: attributed hashrate, statements, payouts and how to verify each one',
    '  - some miners start with faults (dead, hot, slow): find them under Alerts',
    '',
    'Ctrl-C stops agents, simulation and controller, in that order.',
    '',
  ].join('\n');
}
