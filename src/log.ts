// The process logger (pino): JSON lines on stdout, or (log.format: pretty) readable, coloured lines
// (the message, then each field indented below it) for a terminal, formatted in-process so nothing is lost on exit.
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout, format: LogFormat = 'json'): Logger {
  const options = { level, base: { name: 'mooring' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(options, destination);
  const colorize = (destination as { isTTY?: boolean }).isTTY === true && !process.env['NO_COLOR'];
  const pretty = PinoPretty({ destination, sync: true, colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
  return pino(options, pretty);
}

export const silentLogger: Logger = pino({ level: 'silent' });
