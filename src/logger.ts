import pino from 'pino';
import pretty from 'pino-pretty';
import { readSetting, SETTINGS } from './settings';

/**
 * Human-readable lines on a terminal, JSON lines (one object each) everywhere else, so log
 * collectors get JSON and people get text. LOG_FORMAT=json|pretty overrides the guess.
 * The logger exists before any Config (it is made at import), so LOG_FORMAT and LOG_LEVEL are
 * read here, with their schemas from the settings table; a LOG_FORMAT typo is left to loadConfig
 * to report as a startup error.
 */
export function wantsPrettyLogs(env: NodeJS.ProcessEnv = process.env, stdoutIsTerminal = Boolean(process.stdout.isTTY)): boolean {
  const format = SETTINGS.LOG_FORMAT.schema.safeParse(env.LOG_FORMAT);
  if (format.data === 'json') return false;
  if (format.data === 'pretty') return true;
  return stdoutIsTerminal;
}

const options: pino.LoggerOptions = { level: readSetting('LOG_LEVEL'), base: { service: 'hookferry' } };

export const logger: pino.Logger = wantsPrettyLogs()
  ? pino(
      options,
      // In-process and synchronous: lines keep their order with the banner on stdout and none
      // are lost when the process exits right after logging (a worker-thread transport could).
      pretty({ sync: true, singleLine: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' }),
    )
  : pino(options);
export type Logger = typeof logger;
