import pino, { type Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const REDACT = ['password', 'token', 'community', 'writeCommunity', 'authKey', 'privKey', 'secret'];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [...REDACT, ...REDACT.map((k) => `*.${k}`), ...REDACT.map((k) => `*.*.${k}`)],
        censor: '[secret]',
      },
    },
    destination,
  );
}
