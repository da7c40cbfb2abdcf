import { describe, expect, it } from 'vitest';
import { channelText, clip, robotRequest } from '../src/alerts/channels/index.js';

/**
 * Proves the text a channel sends stays within the service's documented limit (WeCom 2048 bytes
 * of UTF-8, Telegram 4096 characters), cut on a character boundary, so an over-long alert message
 * is delivered shortened instead of refused on every retry until dead.
 */
describe('channel text limits', () => {
  const long = '温度过高 chip 97 °C '.repeat(400);
  const payload = {
    event: 'opened',
    alert: { kind: 'chip_overtemp', severity: 'critical' },
    message: long,
    site: 'sichuan',
    container: 'sc-c01',
    rack: 'R03',
    slot: '12',
    link: 'https://ops.example/#/alerts',
  };

  it('clips on UTF-8 character boundaries and marks the cut', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('温度过高', 9)).toBe('温度…');
    expect(Buffer.byteLength(clip('温度过高', 9))).toBeLessThanOrEqual(9);
    expect(clip('温度过高', 9).includes('\uFFFD')).toBe(false);
  });

  it('a WeCom message is at most 2048 bytes, a Telegram one at most 4096, both start with the alert', () => {
    const { text } = channelText(payload);
    expect(Buffer.byteLength(text)).toBeGreaterThan(4096);
    const wecom = robotRequest(
      { type: 'wecom', url: 'http://127.0.0.1:9/cgi-bin/webhook/send?key=k' },
      text,
      0,
    ).body as { text: { content: string } };
    expect(Buffer.byteLength(wecom.text.content)).toBeLessThanOrEqual(2048);
    expect(wecom.text.content.startsWith('[CRITICAL] chip_overtemp opened: 温度过高')).toBe(true);
    const tg = robotRequest(
      { type: 'telegram', apiUrl: 'http://127.0.0.1:9', botToken: 't', chatId: '1' },
      text,
      0,
    ).body as { text: string };
    expect([...tg.text].length).toBeLessThanOrEqual(4096);
    expect(tg.text.endsWith('…')).toBe(true);
  });
});
