import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { hubRedisPrefix, isRedisUrl } from './redis/redis.js';
import { KnownCurrencySchema } from './schemas.js';

/**
 * The hub's start-up configuration, parsed once from the environment (docs/API.md, "Start-up and bootstrap";
 * the README's "Configuration" table says what each variable does).
 */
export interface Config {
  port: number;
  /**
   * Address the API listens on (`OMNIHUB_HOST`: an IPv4 or IPv6 address or a host name). Absent: the command
   * decides — `start` (the laptop hub) keeps to this machine (`127.0.0.1`), `api` (a node behind a load
   * balancer or in a container) listens on every interface (`0.0.0.0`). See `listenHost`.
   */
  host: string | undefined;
  /**
   * Port of the embedded PostgreSQL started when no DATABASE_URL is given (`OMNIHUB_EMBEDDED_PG_PORT`,
   * default 54329).
   */
  embeddedPgPort: number;
  /**
   * PostgreSQL connection string that reaches the primary without a pooler in between
   * (`DATABASE_DIRECT_URL`), for what needs a session of its own: the outbox relay's LISTEN and the
   * migrations' advisory lock. Absent: `databaseUrl` (which then must not name a pooler in transaction mode).
   */
  databaseDirectUrl: string | undefined;
  /**
   * PostgreSQL connection string of a streaming replica of the primary (`DATABASE_REPLICA_URL`): readers that
   * fall back from the read model to PostgreSQL read it when it has replayed the revision they need, else the
   * primary. Absent: no replica.
   */
  databaseReplicaUrl: string | undefined;
  /** PostgreSQL connection string; absent means "start an embedded PostgreSQL". */
  databaseUrl: string | undefined;
  /**
   * Redis connection string: one URL for a Redis server, a comma-separated list of two or more node URLs for
   * a Redis Cluster; absent means "use 127.0.0.1:6379, else start a local redis-server".
   */
  redisUrl: string | undefined;
  /** The first admin key; absent means "generate one and print it once". */
  adminKey: string | undefined;
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Folder for the embedded database and other local state. */
  dataDir: string;
  /**
   * Prefix for every Redis key and BullMQ queue of this hub, so several hubs can share one Redis: the name
   * `OMNIHUB_REDIS_PREFIX` gives, as a cluster hash tag (`omnihub` → `{omnihub}`, see `hubRedisPrefix`).
   */
  redisPrefix: string;
  /** Days delivered outbox events and idempotency records are kept. */
  retentionDays: number;
  /**
   * Days a customer's timeline interactions, profile-history entries and data-use entries are kept (the
   * retention job deletes older ones); her profile, consents, preferences, segments, orders and ledgers are
   * not affected.
   */
  journeyRetentionDays: number;
  /**
   * Which proxies in front of the hub are trusted to name the caller's address in X-Forwarded-For
   * (comma-separated addresses, CIDR subnets or the names `loopback`, `linklocal`, `uniquelocal`); absent
   * means none: the caller is the socket's peer. The address is what per-address limits count.
   */
  trustProxy: string[];
  /**
   * The bearer token (`OMNIHUB_METRICS_TOKEN`, 16–512 printable characters, no spaces) a scrape sends as
   * `Authorization: Bearer <token>` to read `GET /metrics`; wanted on the main port and, when it is set too,
   * on the metrics port. Absent: `/metrics` on the main port answers 401 (whatever `NODE_ENV`), and the
   * metrics port is open.
   */
  metricsToken: string | undefined;
  /**
   * Port of a second listener that serves only `GET /metrics` (`OMNIHUB_METRICS_PORT`; 0: any free port),
   * started and stopped with the API node. Absent: no second listener.
   */
  metricsPort: number | undefined;
  /**
   * Address the metrics listener binds (`OMNIHUB_METRICS_HOST`); the default `127.0.0.1` keeps it to this
   * host.
   */
  metricsHost: string;
  /**
   * The currency (ISO 4217) of the hub's default market (`OMNIHUB_DEFAULT_CURRENCY`, default `EUR`): what a
   * channel client with no currency of its own is priced in.
   */
  defaultCurrency: string;
}

const proxyList = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** Whether proxy-addr (what names a caller's address) understands every entry. */
const trustable = (v: string): boolean => {
  try {
    proxyaddr.compile(proxyList(v));
    return true;
  } catch {
    return false;
  }
};

/** Whether `value` parses as a URL of one of `protocols` with a host. */
function urlOf(value: string, protocols: readonly string[]): boolean {
  try {
    const u = new URL(value);
    return protocols.includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

/** An empty variable reads as not set, as compose's `${NAME:-}` leaves it when the operator gave none. */
const emptyAsAbsent = (v: unknown): unknown => (v === '' ? undefined : v);

/** An optional PostgreSQL URL in the variable `name`. */
const postgresUrl = (name: string) =>
  z.preprocess(
    emptyAsAbsent,
    z
      .string()
      .refine(
        (v) => urlOf(v, ['postgres:', 'postgresql:']),
        `${name} must be a PostgreSQL URL: postgres://user:password@host:5432/database`,
      )
      .optional(),
  );

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  OMNIHUB_HOST: z.preprocess(
    emptyAsAbsent,
    z
      .union(
        [z.ipv4(), z.ipv6(), z.hostname()],
        'OMNIHUB_HOST must be an IPv4 or IPv6 address (0.0.0.0, 127.0.0.1, ::) or a host name',
      )
      .optional(),
  ),
  OMNIHUB_EMBEDDED_PG_PORT: z.preprocess(
    emptyAsAbsent,
    z.coerce.number().int().min(1).max(65535).default(54329),
  ),
  DATABASE_DIRECT_URL: postgresUrl('DATABASE_DIRECT_URL'),
  DATABASE_REPLICA_URL: postgresUrl('DATABASE_REPLICA_URL'),
  DATABASE_URL: z.preprocess(
    emptyAsAbsent,
    z
      .string()
      .refine(
        (v) => urlOf(v, ['postgres:', 'postgresql:']),
        'DATABASE_URL must be a PostgreSQL URL: postgres://user:password@host:5432/database',
      )
      .optional(),
  ),
  REDIS_URL: z.preprocess(
    emptyAsAbsent,
    z
      .string()
      .refine(
        isRedisUrl,
        'REDIS_URL must be a Redis URL: redis://host:6379 (or rediss:// for TLS), or for a Redis Cluster ' +
          'a comma-separated list of its nodes: redis://host-a:6379,redis://host-b:6379',
      )
      .optional(),
  ),
  OMNIHUB_ADMIN_KEY: z.string().min(16, 'OMNIHUB_ADMIN_KEY must be at least 16 characters').optional(),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  OMNIHUB_DATA_DIR: z.string().min(1).default('.omnihub'),
  OMNIHUB_REDIS_PREFIX: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9_-]{1,32}|\{[A-Za-z0-9_-]{1,32}\})$/,
      'OMNIHUB_REDIS_PREFIX must be 1–32 letters, digits, _ or - (braces around them allowed)',
    )
    .default('omnihub'),
  OMNIHUB_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  OMNIHUB_JOURNEY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(730),
  OMNIHUB_TRUST_PROXY: z
    .string()
    .refine(
      trustable,
      'a comma-separated list of addresses, CIDR subnets, loopback, linklocal or uniquelocal',
    )
    .optional(),
  OMNIHUB_METRICS_TOKEN: z.preprocess(
    emptyAsAbsent,
    z
      .string()
      .regex(
        /^[\x21-\x7e]{16,512}$/,
        'OMNIHUB_METRICS_TOKEN must be 16–512 printable characters without spaces',
      )
      .optional(),
  ),
  OMNIHUB_METRICS_PORT: z.preprocess(emptyAsAbsent, z.coerce.number().int().min(0).max(65535).optional()),
  OMNIHUB_METRICS_HOST: z
    .string()
    .regex(/^\S{1,253}$/, 'OMNIHUB_METRICS_HOST must be an address or host name')
    .default('127.0.0.1'),
  OMNIHUB_DEFAULT_CURRENCY: z.preprocess(emptyAsAbsent, KnownCurrencySchema.default('EUR')),
});

/** Names of every environment variable the hub reads; checked against docker-compose.yml by a test. */
export const CONFIG_ENV_VARS = Object.keys(EnvSchema.shape);

/**
 * Parses the environment into a typed {@link Config}; throws a readable error listing every bad variable.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (
    e.OMNIHUB_METRICS_PORT !== undefined &&
    e.OMNIHUB_METRICS_PORT !== 0 &&
    e.OMNIHUB_METRICS_PORT === e.PORT
  ) {
    throw new Error(
      'Invalid configuration:\n' +
        '  OMNIHUB_METRICS_PORT: must differ from PORT (the metrics listener is a second port)',
    );
  }
  for (const name of ['DATABASE_DIRECT_URL', 'DATABASE_REPLICA_URL'] as const)
    if (e[name] !== undefined && e.DATABASE_URL === undefined)
      throw new Error(
        `Invalid configuration:\n  ${name}: needs DATABASE_URL ` +
          '(the embedded PostgreSQL has no pooler or replica)',
      );
  return {
    port: e.PORT,
    host: e.OMNIHUB_HOST,
    embeddedPgPort: e.OMNIHUB_EMBEDDED_PG_PORT,
    databaseDirectUrl: e.DATABASE_DIRECT_URL,
    databaseReplicaUrl: e.DATABASE_REPLICA_URL,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    adminKey: e.OMNIHUB_ADMIN_KEY,
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    dataDir: e.OMNIHUB_DATA_DIR,
    redisPrefix: hubRedisPrefix(e.OMNIHUB_REDIS_PREFIX),
    retentionDays: e.OMNIHUB_RETENTION_DAYS,
    journeyRetentionDays: e.OMNIHUB_JOURNEY_RETENTION_DAYS,
    trustProxy: proxyList(e.OMNIHUB_TRUST_PROXY),
    metricsToken: e.OMNIHUB_METRICS_TOKEN,
    metricsPort: e.OMNIHUB_METRICS_PORT,
    metricsHost: e.OMNIHUB_METRICS_HOST,
    defaultCurrency: e.OMNIHUB_DEFAULT_CURRENCY,
  };
}

/**
 * The address a command's API listener binds: `config.host` when set, else `127.0.0.1` for `start` (the
 * one-process hub on a laptop: its demo data and printed admin key stay on this machine) and `0.0.0.0` for
 * `api` (a production node must be reachable from its load balancer, and from outside its container).
 * @example listenHost(config, 'start') // '127.0.0.1' unless OMNIHUB_HOST is set
 */
export function listenHost(config: Pick<Config, 'host'>, command: 'start' | 'api'): string {
  return config.host ?? (command === 'start' ? '127.0.0.1' : '0.0.0.0');
}
