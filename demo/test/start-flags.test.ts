import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { helpText, parseFlags } from '../src/flags.js';
import { ensurePortFree, freePort, PortInUseError } from '../src/ports.js';

describe('npm start flags', () => {
  it('defaults every option when no flag is given', () => {
    const r = parseFlags([]);
    expect(r).toEqual({
      ok: true,
      options: expect.objectContaining({
        port: 8080,
        mqttPort: 18830,
        dataDir: 'var/demo',
        scenario: 'demo',
        fresh: false,
      }),
    });
  });

  it.each([
    [['--port', '9000'], { port: 9000 }],
    [['--port=9001', '--mqtt-port=1999'], { port: 9001, mqttPort: 1999 }],
    [['--data-dir', '/tmp/x', '--fresh'], { dataDir: '/tmp/x', fresh: true }],
    [['--poll-s', '2', '--miners-ip-block', '127.31'], { pollS: 2, minersIpBlock: '127.31' }],
  ])('parses %j', (argv, expected) => {
    const r = parseFlags(argv);
    expect(r.ok && r.options).toMatchObject(expected);
  });

  it('lists every bad flag at once, each naming the flag and the value', () => {
    const r = parseFlags([
      '--port',
      '70000',
      '--bogus',
      '--poll-s',
      '0',
      '--miners-ip-block',
      '10.1',
      '--mqtt-port',
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      '--port 70000: must be a port number 0..65535',
      '--bogus: unknown flag (see --help)',
      '--poll-s 0: must be seconds between 1 and 3600',
      '--miners-ip-block 10.1: must be "127.N" with N in 0..255 (a loopback /16)',
      '--mqtt-port: needs a value',
    ]);
  });

  it('refuses the same port for HTTP and MQTT', () => {
    const r = parseFlags(['--port', '9000', '--mqtt-port', '9000']);
    expect(r.ok === false && r.errors[0]).toContain('must differ');
  });

  it('documents every flag in --help', () => {
    const text = helpText();
    for (const flag of ['--port', '--mqtt-port', '--data-dir', '--poll-s', '--miners-ip-block', '--fresh']) {
      expect(text).toContain(flag);
    }
  });
});

describe('port checks', () => {
  let held: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (held ? held.close(() => resolve()) : resolve())));

  it('names the port and the flag when the port is taken', async () => {
    const port = await freePort();
    held = createServer();
    await new Promise<void>((resolve) => held!.listen({ host: '127.0.0.1', port }, resolve));
    const err = await ensurePortFree('127.0.0.1', port, '--mqtt-port').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as Error).message).toBe(
      `127.0.0.1:${port} is already in use; choose another port with --mqtt-port <port>`,
    );
  });

  it('passes a free port', async () => {
    const port = await freePort();
    await expect(ensurePortFree('127.0.0.1', port, '--port')).resolves.toBeUndefined();
  });
});
