import pino from 'pino';
import pretty from 'pino-pretty';

/**
 * Human-readable lines on a terminal, JSON lines (one object each) everywhere else, so log
 * collectors get JSON and people get text. LOG_FORMAT=json|pretty overrides the guess.
 */
export function wantsPrettyLogs(env: NodeJS.ProcessEnv = process.env, stdoutIsTerminal = Boolean(process.stdout.isTTY)): boolean {
  if (env.LOG_FORMAT === 'json') return false;
  if (env.LOG_FORMAT === 'pretty') return true;
  return stdoutIsTerminal;
}

const options: pino.LoggerOptions = { level: process.env.LOG_LEVEL ?? 'info', base: { service: 'hookferry' } };

export const logger: pino.Logger = wantsPrettyLogs()
  ? pino(
      options,
      // In-process and synchronous: lines keep their order with the banner on stdout and none
      // are lost when the process exits right after logging (a worker-thread transport could).
      pretty({ sync: true, singleLine: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' }),
    )
  : pino(options);
export type Logger = typeof logger;
