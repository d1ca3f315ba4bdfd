import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/** The hub's start-up configuration, parsed once from the environment (see API.md "Start-up and bootstrap"). */
export interface Config {
  port: number;
  /** PostgreSQL connection string; absent means "start an embedded PostgreSQL". */
  databaseUrl: string | undefined;
  /** Redis connection string; absent means "use 127.0.0.1:6379, else start a local redis-server". */
  redisUrl: string | undefined;
  /** The first admin key; absent means "generate one and print it once". */
  adminKey: string | undefined;
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Folder for the embedded database and other local state. */
  dataDir: string;
  /** Prefix for every Redis key and BullMQ queue of this hub, so several hubs can share one Redis. */
  redisPrefix: string;
  /** Days delivered outbox events and idempotency records are kept. */
  retentionDays: number;
  /**
   * Which proxies in front of the hub are trusted to name the caller's address in X-Forwarded-For (comma-separated
   * addresses, CIDR subnets or the names `loopback`, `linklocal`, `uniquelocal`); absent means none: the caller is the
   * socket's peer. The address is what per-address limits count.
   */
  trustProxy: string[];
}

const proxyList = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
/** Whether proxy-addr (what names a caller's address) understands every entry. */
const trustable = (v: string): boolean => {
  try { proxyaddr.compile(proxyList(v)); return true; } catch { return false; }
};

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  OMNIHUB_ADMIN_KEY: z.string().min(16, 'OMNIHUB_ADMIN_KEY must be at least 16 characters').optional(),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  OMNIHUB_DATA_DIR: z.string().min(1).default('.omnihub'),
  OMNIHUB_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('omnihub'),
  OMNIHUB_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  OMNIHUB_TRUST_PROXY: z.string().refine(trustable, 'a comma-separated list of addresses, CIDR subnets, loopback, linklocal or uniquelocal').optional(),
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
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    adminKey: e.OMNIHUB_ADMIN_KEY,
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    dataDir: e.OMNIHUB_DATA_DIR,
    redisPrefix: e.OMNIHUB_REDIS_PREFIX,
    retentionDays: e.OMNIHUB_RETENTION_DAYS,
    trustProxy: proxyList(e.OMNIHUB_TRUST_PROXY),
  };
}
