import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { redisReachable } from '../../shared/index.js';

/** A Redis Cluster of local `redis-server` children, as {@link startRedisCluster} starts it. */
export interface RedisClusterHandle {
  /** The REDIS_URL that names it: every master's URL, comma-separated. */
  url: string;
  /** The masters' client ports. */
  ports: number[];
  /** Stops every node and removes their folder. */
  stop(): Promise<void>;
}

/** A port nothing listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const stopChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
};

/**
 * Starts a Redis Cluster of `masters` (at least 3) nodes with the OS's `redis-server` in cluster mode — free
 * client and bus ports, a temporary folder for their `nodes.conf`, no persistence, `noeviction` — and joins
 * them with `redis-cli --cluster create … --cluster-replicas 0`, which spreads the 16384 slots evenly.
 * Resolves once the cluster answers with every slot served; fails with a message saying what is missing.
 * @example const cluster = await startRedisCluster(); process.env.REDIS_URL = cluster.url;
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  if (spawnSync('redis-cli', ['--version']).error)
    throw new Error(
      'A Redis Cluster needs `redis-server` and `redis-cli` from the OS packages ' +
        '(Debian/Ubuntu: apt-get install redis-server)',
    );
  const dir = await mkdtemp(path.join(tmpdir(), 'omnihub-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '5000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
      ports.push(port);
    }
    for (const port of ports) {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await redisReachable(`redis://127.0.0.1:${port}`, 200);
        if (!up) await new Promise((r) => setTimeout(r, 50));
      }
      if (!up) throw new Error(`redis-server (cluster mode) did not answer on port ${port}`);
    }
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const url = ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
    // Every node must know every slot's owner before a client is handed the cluster.
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      const views = await Promise.all(ports.map((p) => redisReachable(`redis://127.0.0.1:${p}`, 500)));
      ok = views.every(Boolean) && (await redisReachable(url, 1000)) && clusterOkOnEveryNode(ports);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ok) throw new Error('the Redis Cluster did not reach cluster_state:ok');
    return { url, ports, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Whether every node reports `cluster_state:ok` (asked with `redis-cli`). */
function clusterOkOnEveryNode(ports: readonly number[]): boolean {
  return ports.every((p) => {
    const info = spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' });
    return /cluster_state:ok/.test(info.stdout ?? '');
  });
}
