import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { CONFIG_ENV_VARS, loadConfig } from '../../shared/index.js';

interface Service { image?: string; build?: unknown; command?: string[] | string; environment?: Record<string, string>; depends_on?: Record<string, unknown>; ports?: string[] }
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/**
 * A value as compose hands it to the container when the operator sets only what compose insists on: `${NAME:?…}`
 * (required) gets a test secret, `${NAME:-default}` its default.
 */
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:\?[^}]*\}/g, 'a-secret-value-for-tests').replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

describe('docker-compose.yml', () => {
  it('has the production shape: postgres, redis, two API nodes and one worker', () => {
    expect(services.postgres?.image).toMatch(/^postgres:/);
    expect(services.redis?.image).toMatch(/^redis:/);
    const roles = Object.values(services).map((s) => (Array.isArray(s.command) ? s.command[0] : s.command));
    expect(roles.filter((r) => r === 'api')).toHaveLength(2);
    expect(roles.filter((r) => r === 'worker')).toHaveLength(1);
  });

  it('runs Redis with persistence and without eviction', () => {
    const cmd = (services.redis?.command as string[]).join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
  });

  it('gives the hub containers only variables the code reads, and a valid configuration', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (!svc.build) continue;
      const env = svc.environment ?? {};
      for (const key of Object.keys(env)) expect({ service: name, key, known: CONFIG_ENV_VARS.includes(key) }).toEqual({ service: name, key, known: true });
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
      const config = loadConfig(resolved);
      expect(config.databaseUrl).toMatch(/@postgres:5432\//);
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(config.nodeEnv).toBe('production');
      // Metrics on a listener of their own inside the network; a token only when the operator gives one.
      expect(config).toMatchObject({ metricsPort: 9464, metricsHost: '0.0.0.0', metricsToken: undefined });
    }
  });

  it('publishes no metrics port on the host', () => {
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(published.length).toBeGreaterThan(0);
    expect(published.filter((p) => p.includes('9464'))).toEqual([]);
  });

  it('points the hub at the services it defines', () => {
    const env = services['api-1']?.environment ?? {};
    const db = new URL(env.DATABASE_URL!);
    expect(services[db.hostname]).toBeDefined();
    expect(services.postgres?.environment?.POSTGRES_USER).toBe(decodeURIComponent(db.username));
    expect(services.postgres?.environment?.POSTGRES_DB).toBe(db.pathname.slice(1));
    expect(services[new URL(env.REDIS_URL!).hostname]).toBeDefined();
  });
});
