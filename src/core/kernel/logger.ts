/** Severity levels in increasing order; a logger drops messages below its threshold. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger: the one place the core writes diagnostics, so hosts can route them. */
export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

/** Where log lines go; the default writes one line each to stderr so stdout stays machine-readable. */
export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

function parseLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : 'warn';
}

/**
 * Creates a logger. The level defaults to MOODSHELF_LOG_LEVEL (or `warn`), so the CLI's output is not
 * interleaved with chatter unless someone asks for it.
 */
export function createLogger(
  scope = 'core',
  level: LogLevel = parseLevel(process.env.MOODSHELF_LOG_LEVEL),
  sink: LogSink = stderrSink,
): Logger {
  const emit = (lvl: LogLevel, msg: string, data?: Record<string, unknown>): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    const extra = data ? ` ${JSON.stringify(data)}` : '';
    sink(`${new Date().toISOString()} ${lvl.toUpperCase()} [${scope}] ${msg}${extra}`);
  };
  return {
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    child: (s) => createLogger(`${scope}:${s}`, level, sink),
  };
}
