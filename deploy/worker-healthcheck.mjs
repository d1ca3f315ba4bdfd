// Health check of a worker container (docker-compose.yml's `worker`): exit 0 while a BullMQ worker of this
// container holds its blocking queue connection in Redis, else 1. BullMQ names exactly those connections
// `<prefix>:bull:<queue>`; the hub's prefix is OMNIHUB_REDIS_PREFIX. A connection counts as this container's
// when Redis sees it coming from one of this container's addresses.
import { networkInterfaces } from 'node:os';
import { Redis } from 'ioredis';

const prefix = `${process.env.OMNIHUB_REDIS_PREFIX || 'omnihub'}:bull:`;
const own = new Set(
  Object.values(networkInterfaces())
    .flat()
    .map((a) => a.address),
);

/** The client's address without its port, brackets or IPv4-mapped prefix ("[::1]:5000" → "::1"). */
function host(addr) {
  const h = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return h.startsWith('::ffff:') && h.includes('.') ? h.slice(7) : h;
}

const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', {
  connectTimeout: 2000,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
  lazyConnect: true,
});
redis.on('error', () => undefined);
let healthy = false;
try {
  await redis.connect();
  const clients = String(await redis.client('LIST'))
    .split('\n')
    .map((line) =>
      Object.fromEntries(
        line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
    );
  healthy = clients.some((c) => c.name?.startsWith(prefix) && c.addr && own.has(host(c.addr)));
  if (!healthy) process.stderr.write(`no worker connection named ${prefix}… from this container\n`);
} catch (e) {
  process.stderr.write(`Redis: ${e instanceof Error ? e.message : String(e)}\n`);
} finally {
  redis.disconnect();
}
process.exit(healthy ? 0 : 1);
