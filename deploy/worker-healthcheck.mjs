// Health check of a worker container (docker-compose.yml's `worker`): exit 0 while a BullMQ worker of this
// container holds its blocking queue connection in Redis, else 1. BullMQ names exactly those connections
// `<prefix>:bull:<queue>`; the hub's prefix is OMNIHUB_REDIS_PREFIX as a hash tag (`omnihub` → `{omnihub}`,
// as the hub's configuration makes it). A connection counts as this container's when Redis sees it coming
// from one of this container's addresses. A REDIS_URL that lists a cluster's nodes is asked node by node
// (the connection is on the master that holds the hub's slot).
import { networkInterfaces } from 'node:os';
import { Redis } from 'ioredis';

const name = process.env.OMNIHUB_REDIS_PREFIX || 'omnihub';
const prefix = `${/^\{[^{}]+\}$/.test(name) ? name : `{${name}}`}:bull:`;
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

/** Whether the Redis at `url` holds a worker connection of this container under the hub's prefix. */
async function holdsWorker(url) {
  const redis = new Redis(url, {
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const clients = String(await redis.client('LIST'))
      .split('\n')
      .map((line) =>
        Object.fromEntries(
          line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        ),
      );
    return clients.some((c) => c.name?.startsWith(prefix) && c.addr && own.has(host(c.addr)));
  } finally {
    redis.disconnect();
  }
}

const urls = (process.env.REDIS_URL || 'redis://127.0.0.1:6379')
  .split(',')
  .map((u) => u.trim())
  .filter(Boolean);
let healthy = false;
const errors = [];
for (const url of urls) {
  if (healthy) break;
  try {
    healthy = await holdsWorker(url);
  } catch (e) {
    errors.push(e instanceof Error ? e.message : String(e));
  }
}
if (!healthy && errors.length === urls.length) process.stderr.write(`Redis: ${errors.join('; ')}\n`);
else if (!healthy) process.stderr.write(`no worker connection named ${prefix}… from this container\n`);
process.exit(healthy ? 0 : 1);
