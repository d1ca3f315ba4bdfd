/**
 * What the command line prints about itself: where the hub listens, and what went wrong. Imports nothing
 * heavy, so `omnihub --help` and error reports stay fast.
 */
import { networkInterfaces } from 'node:os';

const WILDCARDS = new Set(['0.0.0.0', '::', '::0']);

/** A host for a URL: IPv6 addresses go in brackets. */
const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/**
 * Where an API listener bound to `host`:`port` is reached, in words for the start-up banner: a clickable URL
 * first (for a wildcard address, `localhost` and this machine's other addresses), then what the address
 * means.
 * @example listeningLine('127.0.0.1', 4000) // 'http://127.0.0.1:4000/  (this machine only: …)'
 */
export function listeningLine(host: string, port: number): string {
  if (WILDCARDS.has(host)) {
    const family = host === '0.0.0.0' ? 'IPv4' : 'IPv4 and IPv6';
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && (a.family === 'IPv4' || host !== '0.0.0.0'))
      .slice(0, 3)
      .map((a) => `http://${urlHost(a!.address)}:${port}/`);
    const elsewhere = others.length ? `; from other machines: ${others.join(' ')}` : '';
    return `http://localhost:${port}/  (every ${family} interface, ${urlHost(host)}:${port}${elsewhere})`;
  }
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  const note = loopback
    ? 'this machine only: set OMNIHUB_HOST=0.0.0.0 to serve other machines too'
    : `bound to ${host} only`;
  return `http://${urlHost(host)}:${port}/  (${note})`;
}

/** A hint for a few system errors whose own message does not say what to do. */
function hint(code: unknown, message: string): string {
  if (code === 'EADDRINUSE')
    return ' (another process listens there, perhaps another omnihub: stop it, or choose another PORT)';
  if (code === 'EADDRNOTAVAIL') return ' (this machine has no such address: check OMNIHUB_HOST)';
  if (code === 'EACCES' && /listen/.test(message))
    return ' (ports below 1024 need privileges: choose a PORT above 1023)';
  return '';
}

/**
 * A thrown value as one readable sentence, never `undefined` or empty: an Error's message (or, when it has
 * none, its name and code, or the messages of an AggregateError's errors), its `cause`, and a hint for common
 * system errors.
 * @example describeError(Object.assign(new AggregateError([]), { code: 'ECONNREFUSED' })) // 'AggregateError
 *   ECONNREFUSED'
 */
export function describeError(e: unknown, depth = 0): string {
  if (e === undefined || e === null)
    return 'failed without saying why (an error with no message): run again with LOG_LEVEL=debug to see more';
  if (!(e instanceof Error)) {
    if (typeof e === 'object') {
      const { message, code } = e as { message?: unknown; code?: unknown };
      if (typeof message === 'string' && message) return message;
      if (typeof code === 'string') return code;
      try {
        return JSON.stringify(e);
      } catch {
        return Object.prototype.toString.call(e);
      }
    }
    return String(e);
  }
  const code = (e as NodeJS.ErrnoException).code;
  let text = e.message;
  if (!text && e instanceof AggregateError && e.errors.length)
    text = [...new Set(e.errors.map((x: unknown) => describeError(x, depth + 1)))].join('; ');
  if (!text) text = [e.name, typeof code === 'string' ? code : ''].filter(Boolean).join(' ');
  text += hint(code, text);
  if (e.cause !== undefined && depth < 3) text += ` (cause: ${describeError(e.cause, depth + 1)})`;
  return text;
}
