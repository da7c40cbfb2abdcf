import type { MinerModel } from '../model/miner.js';
import { template } from '../templates.js';
import { fillPools, stamp, statusOnly, unix } from '../wire/cgminer.js';
import { switchPool } from './pool-priority.js';
import type { Reply, RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;
const description = (m: MinerModel): string => `LUXminer ${m.firmwareVersion}-57b389c7`;
const ghs = (ths: number) => Math.round(ths * 1e5) / 100;
const doc = (file: string, call: RpcCall): Doc => stamp(template(file), call.now, description(call.miner));
const ok = (call: RpcCall, code: number, msg: string): Doc => {
  const d = statusOnly('S', code, msg, call.now, description(call.miner));
  // LuxOS sorts STATUS keys (Code, Description, Msg, STATUS, When), as every recorded reply shows.
  const s = (d.STATUS as Doc[])[0]!;
  d.STATUS = [{ Code: s.Code, Description: s.Description, Msg: s.Msg, STATUS: s.STATUS, When: s.When }];
  return d;
};

function summary(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('luxos/s19kpro-summary.json.txt', call);
  const avg = ghs(m.averageThs(now));
  Object.assign((d.SUMMARY as Doc[])[0]!, {
    Accepted: m.accepted,
    'Best Share': m.bestShare,
    'Difficulty Accepted': m.difficultyAccepted,
    'Difficulty Rejected': m.difficultyRejected,
    Elapsed: m.elapsedS(now),
    'GHS 15m': avg,
    'GHS 1m': ghs(m.hashrateThs),
    'GHS 24h': avg,
    'GHS 30m': avg,
    'GHS 5m': avg,
    'GHS 5s': ghs(m.hashrateThs),
    'GHS av': avg,
    'Hardware Errors': m.hardwareErrors,
    'Last getwork': unix(now),
    Rejected: m.rejected,
  });
  return d;
}

function stats(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('luxos/s19kpro-stats.json.txt', call);
  const [head, s] = d.STATS as [Doc, Doc];
  head.Type = m.model.model;
  head.Miner = m.firmwareVersion;
  Object.assign(s, {
    Elapsed: m.elapsedS(now),
    'GHS 5s': ghs(m.hashrateThs),
    'GHS av': ghs(m.averageThs(now)),
    fan_num: m.model.fans,
    rate_30m: ghs(m.averageThs(now)),
    total_rateideal: ghs(m.nominalThs),
    'total rate': ghs(m.hashrateThs),
    miner_version: m.firmwareVersion,
  });
  for (let f = 1; f <= 4; f++) s[`fan${f}`] = m.fanRpm[f - 1] ?? 0;
  for (let c = 1; c <= 4; c++) {
    const b = c - 1;
    const present = b < m.model.boards;
    const chips = present ? m.chipsOn(b) : 0;
    const t = present ? Math.round(m.chipTempC[b]!) : 0;
    s[`chain_acn${c}`] = chips;
    s[`chain_rate${c}`] = present ? ghs(m.boardThs[b]!).toFixed(2) : '0';
    s[`temp_chip${c}`] = present ? `${t}-${t - 13}-${t - 13}-${t}` : '0-0-0-0';
    s[`temp_pcb${c}`] = present ? `${t - 5}-${t - 18}-${t - 18}-${t - 5}` : '0-0-0-0';
    if (c <= 3) s[`temp${c}`] = present ? t - 5 : 0;
    if (c <= 3) s[`temp2_${c}`] = t;
  }
  return d;
}

function temps(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('luxos/s19kpro-temps.json.txt', call);
  d.TEMPS = m.chipTempC.map((t, b) => {
    const exhaust = Math.round(t);
    const intake = Math.round(m.ambientC + (t - m.ambientC) * 0.3);
    return { BottomLeft: exhaust, BottomRight: intake, ID: b, TEMP: b, TopLeft: exhaust, TopRight: intake };
  });
  return d;
}

function fans(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('luxos/s19kpro-fans.json.txt', call);
  const recorded = d.FANS as Doc[];
  d.FANS = m.fanRpm.map((rpm, i) => ({
    ...(recorded[i] ?? recorded[0]!),
    ID: i,
    RPM: rpm,
    Speed: Math.round(m.fanPct),
  }));
  return d;
}

function power(call: RpcCall): Doc {
  const d = doc('luxos/s19kpro-power.json.txt', call);
  (d.POWER as Doc[])[0]!.Watts = Math.round(call.miner.powerW);
  return d;
}

function config(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('luxos/s19kpro-config.json.txt', call);
  Object.assign((d.CONFIG as Doc[])[0]!, {
    Hostname: m.hostname,
    IPAddr: m.ip,
    MACAddr: m.mac.toLowerCase(),
    Model: m.model.model,
    NameplateTHS: m.nominalThs,
    Profile: String(m.session.get('luxos-profile') ?? 'default'),
    RedLed: m.led ? 'blink' : 'auto',
    SerialNumber: m.serial,
    CurtailMode: m.mode === 'sleep' ? 'Sleep' : 'None',
  });
  return d;
}

function pools(call: RpcCall): Doc {
  const d = doc('luxos/s19kpro-pools.json.txt', call);
  d.POOLS = fillPools(d.POOLS as Doc[], call.miner, call.now);
  return d;
}

function version(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('luxos/s19kpro-version.json.txt', call);
  Object.assign((d.VERSION as Doc[])[0]!, {
    LUXminer: `${m.firmwareVersion}-57b389c7`,
    Miner: m.firmwareVersion,
    Type: m.model.model,
  });
  return d;
}

/** No recorded logon reply: SESSION[0].SessionID as pyasic reads it (rpc/luxminer.py). */
function logon(call: RpcCall): Reply {
  const id = Array.from({ length: 8 }, () => '0123456789abcdef'[call.miner.rng.int(16)]).join('');
  call.miner.session.set('luxos-session', id);
  const d = ok(call, 332, 'Logon OK');
  return { doc: { SESSION: [{ SessionID: id }], STATUS: d.STATUS, id: 1 } };
}

/** Privileged LuxOS commands take the session id as their first parameter. */
function withSession(run: (call: RpcCall, args: string[]) => Reply): (call: RpcCall) => Reply {
  return (call) => {
    const [session, ...args] = (call.parameter ?? '').split(',');
    if (!session || session !== call.miner.session.get('luxos-session')) {
      return { doc: statusOnly('E', 45, 'Invalid session id', call.now, description(call.miner)) };
    }
    return run(call, args);
  };
}

/** LuxOS LUXminer on 4028: cgminer-style reads plus logon-session controls. */
export const luxos: RpcFirmware = {
  profile: 'luxos',
  description,
  nulTerminated: false,
  joinable: true,
  defaultApiAllow: 'W:0/0',
  privileged: new Set(),
  commands: {
    summary: (call) => ({ doc: summary(call) }),
    stats: (call) => ({ doc: stats(call) }),
    temps: (call) => ({ doc: temps(call) }),
    fans: (call) => ({ doc: fans(call) }),
    power: (call) => ({ doc: power(call) }),
    config: (call) => ({ doc: config(call) }),
    pools: (call) => ({ doc: pools(call) }),
    version: (call) => ({ doc: version(call) }),
    logon,
    logoff: (call) => {
      call.miner.session.delete('luxos-session');
      return { doc: ok(call, 333, 'Logoff OK') };
    },
    curtail: withSession((call, [mode]) => {
      if (mode !== 'sleep' && mode !== 'wakeup')
        return { doc: statusOnly('E', 14, 'Invalid curtail mode', call.now, description(call.miner)) };
      call.miner.mode = mode === 'sleep' ? 'sleep' : 'normal';
      return { doc: ok(call, 337, `Curtail ${mode}`) };
    }),
    rebootdevice: withSession((call) => ({
      doc: ok(call, 339, 'Rebooting device'),
      after: () => call.miner.reboot(call.now),
    })),
    resetminer: withSession((call) => ({
      doc: ok(call, 338, 'Resetting miner'),
      after: () => call.miner.restartDaemon(call.now),
    })),
    profileset: withSession((call, [profile]) => {
      call.miner.session.set('luxos-profile', profile ?? 'default');
      return { doc: ok(call, 340, `Profile set to ${profile ?? ''}`) };
    }),
    ledset: withSession((call, [, state]) => {
      call.miner.led = state === 'blink' || state === 'on';
      return { doc: ok(call, 341, 'LED set') };
    }),
    switchpool: withSession((call, [n]) => {
      const i = Number(n);
      if (!Number.isInteger(i) || i < 0 || i >= call.miner.pools.length)
        return { doc: statusOnly('E', 26, 'Invalid pool id', call.now, description(call.miner)) };
      // LUXminer keeps cgminer's pool priorities (an assumption from its cgminer lineage, not a recording).
      switchPool(call.miner, i, call.now);
      return { doc: ok(call, 27, `Switching to pool ${i}`) };
    }),
    addpool: withSession((call, [url, user, pass]) => {
      if (!url)
        return { doc: statusOnly('E', 52, 'Missing addpool details', call.now, description(call.miner)) };
      call.miner.pools.push({ url, user: user ?? '', password: pass ?? '' });
      return { doc: ok(call, 55, `Added pool ${call.miner.pools.length - 1}`) };
    }),
  },
};
