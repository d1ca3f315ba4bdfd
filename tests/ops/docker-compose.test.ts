import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { CONFIG_ENV_VARS, loadConfig } from '../../shared/index.js';

interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  container_name?: string;
  command?: string[] | string;
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition?: string }>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  deploy?: { replicas?: number };
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const dockerfile = readFileSync('Dockerfile', 'utf8');

/**
 * A value as compose hands it to the container when the operator sets only what compose insists on:
 * `${NAME:?…}` (required) gets a test secret, `${NAME:-default}` its default.
 */
function interpolate(value: string): string {
  return value
    .replace(/\$\{[A-Z0-9_]+:\?[^}]*\}/g, 'a-secret-value-for-tests')
    .replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

function role(s: Service): string | undefined {
  return Array.isArray(s.command) ? s.command[0] : s.command;
}

/** The services that run the hub's image. */
const hub = Object.entries(services).filter(
  ([, s]) => s.image !== undefined && s.image === services.api?.image,
);

/** A bind mount's host file, relative to the repository (`./deploy/nginx.conf:/etc/nginx/nginx.conf:ro`). */
function mountedFile(s: Service, target: RegExp): string {
  const mount = (s.volumes ?? []).map((v) => v.split(':')).find((parts) => target.test(parts[1] ?? ''));
  expect(mount).toBeDefined();
  return path.normalize(mount![0]!);
}

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/**
 * A minimal nginx configuration reader: directives with their arguments and blocks; comments and quotes
 * handled.
 */
function parseNginx(text: string): Directive[] {
  const tokens = [...text.matchAll(/#[^\n]*|'[^']*'|"[^"]*"|[{};]|[^\s{};'"#]+/g)]
    .map((m) => m[0])
    .filter((t) => !t.startsWith('#'));
  let i = 0;
  const block = (): Directive[] => {
    const out: Directive[] = [];
    while (i < tokens.length && tokens[i] !== '}') {
      const words: string[] = [];
      while (i < tokens.length && tokens[i] !== ';' && tokens[i] !== '{' && tokens[i] !== '}')
        words.push(tokens[i++]!.replace(/^(['"])(.*)\1$/s, '$2'));
      const d: Directive = { name: words[0]!, args: words.slice(1) };
      if (tokens[i] === '{') {
        i++;
        d.block = block();
        expect(tokens[i]).toBe('}');
      } else expect(tokens[i]).toBe(';');
      i++;
      out.push(d);
    }
    return out;
  };
  const top = block();
  expect(i).toBe(tokens.length);
  return top;
}

function find(ds: Directive[] | undefined, name: string, ...args: string[]): Directive[] {
  return (ds ?? []).filter((d) => d.name === name && args.every((a, n) => d.args[n] === a));
}

/** Variables Node.js itself reads (not the hub's configuration), allowed in the hub's containers. */
const NODE_RUNTIME_VARS = ['NODE_OPTIONS'];
describe('docker-compose.yml', () => {
  it(
    'has the production shape: postgres, redis, a scalable API service, a worker and a load ' + 'balancer',
    () => {
      expect(services.postgres?.image).toMatch(/^postgres:/);
      expect(services.redis?.image).toMatch(/^redis:/);
      expect(role(services.api!)).toBe('api');
      expect(services.api?.deploy?.replicas).toBeGreaterThanOrEqual(2);
      const roles = Object.values(services).map(role);
      expect(roles.filter((r) => r === 'api')).toHaveLength(1);
      expect(roles.filter((r) => r === 'worker')).toHaveLength(1);
      // open-source `resolve` in upstreams: 1.27.3+
      expect(services.lb?.image).toMatch(/^nginx:1\.(2[89]|[3-9]\d)/);
    },
  );

  it('builds one image once, and every hub service runs it', () => {
    const built = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(built.map(([name]) => name)).toEqual(['api']);
    expect(services.api?.image).toMatch(/^omnihub:\$\{OMNIHUB_TAG:-[\w.-]+\}$/);
    expect(services.api?.pull_policy).toBe('build');
    expect(hub.map(([name]) => name).sort()).toEqual(['api', 'worker']);
    // The image exists only where it was built: a service that only runs it must never look for it in a
    // registry.
    for (const [, s] of hub.filter(([, x]) => x.build === undefined)) expect(s.pull_policy).toBe('never');
  });

  it('lets the API service scale: no fixed host port, no container name', () => {
    expect(services.api?.ports).toBeUndefined();
    expect(services.api?.container_name).toBeUndefined();
    expect(Object.values(services).filter((s) => s.container_name !== undefined)).toEqual([]);
  });

  it('gives every service a health check, and orders start-up on health', () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, test: Array.isArray(s.healthcheck?.test) && s.healthcheck.test.length > 1 }).toEqual({
        name,
        test: true,
      });
      expect({ name, disabled: s.healthcheck?.disable ?? false }).toEqual({ name, disabled: false });
    }
    for (const name of ['api', 'worker']) {
      expect(services[name]?.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    expect(services.lb?.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    for (const s of Object.values(services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(services[dep]).toBeDefined();
    }
  });

  it(
    'checks the hub\u2019s health with what its image has: node, /readyz, and a worker script ' +
      'the image copies',
    () => {
      expect(services.api?.healthcheck?.test).toEqual([
        'CMD',
        'node',
        '-e',
        expect.stringContaining("fetch('http://127.0.0.1:4000/readyz')"),
      ]);
      expect(services.worker?.healthcheck?.test).toEqual(['CMD', 'node', 'deploy/worker-healthcheck.mjs']);
      expect(existsSync('deploy/worker-healthcheck.mjs')).toBe(true);
      expect(dockerfile).toMatch(/^COPY deploy\/worker-healthcheck\.mjs \.\/deploy\/$/m);
    },
  );

  it('runs Redis with persistence and without eviction', () => {
    const cmd = (services.redis?.command as string[]).join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
  });

  it('gives the hub containers only variables the code reads, and a valid configuration', () => {
    expect(hub.length).toBeGreaterThan(0);
    for (const [name, svc] of hub) {
      const env = svc.environment ?? {};
      for (const key of Object.keys(env))
        expect({
          service: name,
          key,
          known: CONFIG_ENV_VARS.includes(key) || NODE_RUNTIME_VARS.includes(key),
        }).toEqual({
          service: name,
          key,
          known: true,
        });
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
      const config = loadConfig(resolved);
      expect(config.databaseUrl).toMatch(/@postgres:5432\//);
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(config.nodeEnv).toBe('production');
      // The load balancer is on this network (a private address): the hub believes the caller it names.
      expect(config.trustProxy).toContain('uniquelocal');
      // Metrics on a listener of their own inside the network; a token only when the operator gives one.
      expect(config).toMatchObject({ metricsPort: 9464, metricsHost: '0.0.0.0', metricsToken: undefined });
    }
  });

  it('runs API nodes with a heap limit, so the memory of a node stays bounded whatever the catalogue', () => {
    expect(services.api?.environment?.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
  });

  it('publishes the load balancer and no metrics port on the host', () => {
    expect(services.lb?.ports).toHaveLength(1);
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(published.filter((p) => p.includes('9464'))).toEqual([]);
  });

  it('points the hub at the services it defines', () => {
    const env = services.api?.environment ?? {};
    const db = new URL(env.DATABASE_URL!);
    expect(services[db.hostname]).toBeDefined();
    expect(services.postgres?.environment?.POSTGRES_USER).toBe(decodeURIComponent(db.username));
    expect(services.postgres?.environment?.POSTGRES_DB).toBe(db.pathname.slice(1));
    expect(services[new URL(env.REDIS_URL!).hostname]).toBeDefined();
  });

  it('keeps Prometheus optional, finding every API and worker replica by DNS', () => {
    expect(services.prometheus?.profiles).toEqual(['metrics']);
    const file = mountedFile(services.prometheus!, /^\/etc\/prometheus\/prometheus\.yml$/);
    const config = parse(readFileSync(file, 'utf8')) as {
      scrape_configs: Array<{ dns_sd_configs?: Array<{ names: string[]; type: string; port: number }> }>;
    };
    // Every replica of the API nodes and of the workers (a worker serves its metrics on the metrics port
    // too).
    expect(config.scrape_configs.flatMap((c) => c.dns_sd_configs ?? [])).toContainEqual({
      names: ['api', 'worker'],
      type: 'A',
      port: 9464,
      refresh_interval: expect.any(String),
    });
  });
});

describe('the load balancer\u2019s nginx.conf', () => {
  const file = mountedFile(services.lb!, /^\/etc\/nginx\/nginx\.conf$/);
  const conf = parseNginx(readFileSync(file, 'utf8'));
  const http = find(conf, 'http')[0]?.block;
  const server = find(http, 'server')[0]?.block;
  const root = find(server, 'location', '/')[0]?.block;

  it('is a file of the repository, mounted by the lb service', () => {
    expect(file).toBe(path.join('deploy', 'nginx.conf'));
  });

  it(
    'spreads requests over every api replica, re-resolving Docker\u2019s DNS so scaling is ' + 'picked up',
    () => {
      expect(find(http, 'resolver', '127.0.0.11')).toHaveLength(1);
      expect(find(http, 'resolver')[0]?.args.some((a) => /^valid=\d+s$/.test(a))).toBe(true);
      const upstream = find(http, 'upstream', 'api')[0]?.block;
      expect(find(upstream, 'zone')).toHaveLength(1); // `resolve` keeps the peers in shared memory
      expect(find(upstream, 'server').map((d) => d.args)).toEqual([['api:4000', 'resolve']]);
      expect(find(root, 'proxy_pass', 'http://api')).toHaveLength(1);
    },
  );

  it('listens on the port compose publishes', () => {
    const published = services.lb!.ports![0]!;
    expect(find(server, 'listen').map((d) => d.args[0])).toEqual([
      published.slice(published.lastIndexOf(':') + 1),
    ]);
  });

  it('passes WebSocket upgrades through for /graphql subscriptions', () => {
    expect(find(root, 'proxy_http_version', '1.1')).toHaveLength(1);
    expect(find(root, 'proxy_set_header', 'Upgrade', '$http_upgrade')).toHaveLength(1);
    expect(find(root, 'proxy_set_header', 'Connection', '$connection_upgrade')).toHaveLength(1);
    const map = find(http, 'map', '$http_upgrade', '$connection_upgrade')[0]?.block;
    expect(find(map, 'default', 'upgrade')).toHaveLength(1);
  });

  it('names the caller it saw in X-Forwarded-For, replacing what a client sent', () => {
    expect(find(root, 'proxy_set_header', 'X-Forwarded-For').map((d) => d.args[1])).toEqual(['$remote_addr']);
  });

  it('answers its own health check on the path compose asks', () => {
    expect(services.lb?.healthcheck?.test).toContain(
      `http://127.0.0.1:${find(server, 'listen')[0]?.args[0]}/lb-healthz`,
    );
    expect(
      find(server, 'location', '=', '/lb-healthz')[0]?.block?.find((d) => d.name === 'return')?.args[0],
    ).toBe('200');
  });
});

describe('Dockerfile', () => {
  const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const stages = dockerfile.split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
  const runtime = stages.at(-1) ?? '';
  const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines
    .node;

  it('builds in one stage and runs from another, on the project\u2019s Node line', () => {
    expect(stages).toHaveLength(2);
    const line = /^>=(\d+)$/.exec(engines)?.[1];
    for (const stage of stages)
      expect(stage).toMatch(new RegExp(`^FROM node:${line}-[a-z]+-slim AS \\w+\\n`));
    expect(stages[0]).toMatch(/^RUN npm ci .*--ignore-scripts/m);
    expect(stages[0]).toMatch(/^RUN npm run build$/m);
  });

  it('ships production dependencies only, without running the build in the runtime stage', () => {
    expect(runtime).toMatch(/^RUN npm ci --omit=dev --ignore-scripts\b/m);
    expect(runtime).toMatch(/^COPY --from=\w+ \/app\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^COPY migrations \.\/migrations$/m);
    expect(runtime).not.toMatch(/^COPY \. /m);
  });

  it('runs as the unprivileged node user, the compiled CLI as entry point, with a health check', () => {
    const users = lines.filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER node');
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('ENTRYPOINT'));
    expect(lines.filter((l) => l.startsWith('ENTRYPOINT '))).toEqual([
      'ENTRYPOINT ["node", "dist/bin/omnihub.js"]',
    ]);
    expect(runtime).toMatch(/^HEALTHCHECK .*\\\n\s+CMD \["node", "-e", ".*\/readyz/m);
  });

  it('keeps local, secret and built files out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.omnihub', '.env'])
      expect(ignored).toContain(entry);
  });
});
