import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelText } from '../src/alerts/channels/index.js';
import { alertsFor } from '../src/alerts/index.js';
import { messageOf } from '../src/alerts/message-key.js';
import { testApp } from './helpers.js';

const T0 = exampleSample.at;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
/** Latin words other than the units and names every language keeps. */
const english = (s: string) =>
  s.replace(/PDU|TH\/s|kW|sc-c01|sichuan|R03|https?:\/\/\S+/g, ' ').match(/[A-Za-z]{2,}/g) ?? [];

/**
 * Issue 19: notifications reach people in their language. A channel configured with `language`
 * words the alert from the UI's catalogues (kind, event, figures with units, container/rack/slot);
 * one without keeps the controller's English. Delivered through the outbox to a local WeCom fake.
 */
describe("notifications in the channel's language", () => {
  let server: Server;
  let seen: { path: string; content: string }[];
  let base: string;
  beforeEach(async () => {
    seen = [];
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        seen.push({
          path: new URL(req.url ?? '/', 'http://x').pathname,
          content: JSON.parse(raw).text.content,
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"errcode":0,"errmsg":"ok"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => new Promise((r) => server.close(r)));

  it('a hot chip reaches a Chinese WeCom group in Chinese, a Russian one in Russian, the default in English', async () => {
    let clock = T0;
    const t = await testApp(
      {
        alerts: {
          publicUrl: 'https://ops.example',
          webhooks: [
            { type: 'wecom', url: `${base}/zh/send?key=a`, language: 'zh-CN' },
            { type: 'wecom', url: `${base}/ru/send?key=b`, language: 'ru' },
            { type: 'wecom', url: `${base}/en/send?key=c` },
          ],
        },
      },
      () => clock,
    );
    try {
      const alerts = alertsFor(t.app.hashfleet);
      for (let seq = 1; seq <= 2; seq++) {
        clock += 30_000;
        const msg: Telemetry = {
          ...exampleTelemetry,
          seq,
          sentAt: clock,
          samples: [
            {
              ...exampleSample,
              // All three boards of the S19 Pro hashing (the contract's example shows one).
              boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
              at: clock,
              chipTempMaxC: 97,
            },
          ],
          unreachable: [],
        };
        await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg));
        await alerts.tick(clock);
      }
      expect(await alerts.deliver(clock)).toMatchObject({ delivered: 3 });
      const by = (p: string) => seen.find((s) => s.path === p)!.content.split('\n');
      const [zhSubject, zhWhere] = by('/zh/send');
      expect(zhSubject).toBe('[严重] 芯片过热 触发: 芯片 97 °C ≥ 90 °C');
      expect(zhWhere).toBe('矿场 sichuan, 集装箱 sc-c01, 机架 R03, 槽位 12');
      const [ruSubject, ruWhere] = by('/ru/send');
      expect(ruSubject).toContain('Перегрев чипов открыт: чип 97 °C ≥ 90 °C');
      expect(ruWhere).toContain('контейнер sc-c01, стойка R03, место 12');
      for (const line of [zhSubject!, zhWhere!, ruSubject!, ruWhere!])
        expect(english(line), line).toEqual([]);
      expect(by('/en/send')[0]).toBe('[CRITICAL] chip_overtemp opened: chip 97 °C ≥ 90 °C');
    } finally {
      await t.close();
    }
  });

  it('every kind that has a key words its notification without English in Russian and Chinese', () => {
    const p = (kind: string, value: number, threshold: number, details: Record<string, unknown>) => {
      const m = messageOf({ kind, value, threshold, details });
      return {
        event: 'opened',
        alert: { kind, severity: 'warning' },
        message: 'english',
        ...m,
        site: 'sichuan',
        container: 'sc-c01',
        rack: 'R03',
        slot: '12',
        link: 'https://ops.example/#/alerts',
      };
    };
    const payloads = [
      p('offline', 40, 180, { error: 'timeout' }),
      p('hashrate_low', 0.5, 0.8, { medianThs: 55, expectedThs: 110 }),
      p('fan_failed', 1, 1, { expectedFans: 4, minRpm: 500 }),
      p('phase_overload', 23_000, 22_080, { pduId: 'PDU' }),
      p('spool_filling', 12_000, 10_000, { spoolDropped: 0 }),
    ];
    for (const language of ['ru', 'zh-CN'] as const)
      for (const payload of payloads) {
        expect(payload.messageKey).toBeDefined();
        const { text } = channelText(payload, language);
        expect(english(text), text).toEqual([]);
      }
  });
});
