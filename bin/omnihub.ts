/**
 * The `omnihub` command line: start (everything in one process), api, worker, migrate, seed, import.
 */
import { parseArgs } from 'node:util';
import type { bootstrapAdminKey } from '../backoffice-layer/index.js';
import type { isChannelClientKey } from '../channel-layer/index.js';
import type { Runtime } from '../channel-layer/index.js';
import { describeError, listeningLine } from './cli-output.js';

/** `words` joined by ", " in lines of at most `width` characters, each led by `indent`. */
function wrapList(words: readonly string[], indent: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const [n, word] of words.entries()) {
    const piece = n < words.length - 1 ? `${word},` : word;
    if (line && indent.length + line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else line = line ? `${line} ${piece}` : piece;
  }
  return [...lines, line].map((l) => `${indent}${l}`).join('\n');
}

/**
 * The help: its channel kinds and environment variables are those the code reads (`CHANNEL_KINDS`,
 * `CONFIG_ENV_VARS`), so it cannot leave one out. It loads those two small modules, none of the hub's others.
 */
async function helpText(): Promise<string> {
  const [{ CONFIG_ENV_VARS }, { CHANNEL_KINDS }] = await Promise.all([
    import('../shared/config.js'),
    import('../shared/schemas.js'),
  ]);
  return `omnihub — omnichannel price, promotion and inventory consistency hub

Usage: omnihub <command> [options]

Commands:
  start             API and worker in one process, with embedded defaults (seeds the demo retailer on
                    the embedded database's first start; on a configured DATABASE_URL it says when the
                    catalogue is empty)
  api               a stateless API node (GraphQL, admin REST, health, metrics)
  worker            a worker: outbox relay, event consumers, reservation expiry
  migrate           apply database migrations and exit
  seed              load the demo retailer (skipped when the catalogue is not empty)
  consistency-check ask every channel the same questions on a running hub; fail on any difference
                    (--url, --skus a,b)
  create-client     issue a channel client API key: --channel ${CHANNEL_KINDS.join('|')}
                    [--location ID] [--name NAME]
                    [--scopes customer-tokens,rate:<n>,subscriptions:<n>,held-units:<n>]
                    (CONSOLE also console:<area>[:write],location:<id>; areas: mirror, customers,
                    orders, stock, prices, promotions, dashboard, quality, audit)
                    [--currency GBP] (its market's ISO 4217 currency; default: OMNIHUB_DEFAULT_CURRENCY)
  import FILE       bulk import products, prices or stock from NDJSON or CSV, with a progress bar
                    options: --kind products|prices|stock  --format ndjson|csv (else guessed from the
                    file name); FILE - reads standard input (give --kind and --format);
                    Ctrl-C marks the import FAILED (interrupted)

Configuration is read from the environment (README.md, "Configuration", says what each variable does):
${wrapList(CONFIG_ENV_VARS, '  ', 110)}
OMNIHUB_HOST is the listen address (default 127.0.0.1 for start, 0.0.0.0 for api). Without DATABASE_URL,
every command uses the embedded PostgreSQL in OMNIHUB_DATA_DIR, the one a running \`omnihub start\` keeps
if there is one.`;
}

type BootstrapAdminKey = typeof bootstrapAdminKey;
type IsChannelClientKey = typeof isChannelClientKey;

const COMMANDS = [
  'start',
  'api',
  'worker',
  'migrate',
  'seed',
  'consistency-check',
  'create-client',
  'import',
];

function onShutdown(fn: (signal: string) => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void fn(signal).then(
        () => process.exit(0),
        (e: unknown) => {
          console.error(e);
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Registers `OMNIHUB_ADMIN_KEY` (or generates a first key) before the node serves, so a refused value (a
 * channel client's key) stops the start; answers what to print once the node is up: a generated key (shown
 * once), or a warning that the configured value no longer works.
 */
async function prepareAdminKey(
  rt: Runtime,
  bootstrapAdminKey: BootstrapAdminKey,
  isChannelClientKey: IsChannelClientKey,
): Promise<string> {
  // The backoffice cannot read the channel layer's clients: this process, which has both, tells it.
  const { generated, configured } = await bootstrapAdminKey(
    rt.deps.db,
    rt.deps.config.adminKey,
    rt.deps.clock.now(),
    { logger: rt.deps.logger, isChannelKey: (key) => isChannelClientKey(rt.deps.db, key) },
  );
  if (generated) return `\n  Admin API key (shown once, store it now):\n    ${generated}\n\n`;
  if (configured === 'REVOKED' || configured === 'EXPIRED') {
    const state = configured === 'REVOKED' ? 'revoked' : 'expired';
    return (
      `\n  Warning: OMNIHUB_ADMIN_KEY is ${state} and opens nothing; ` +
      'set a working admin key (docs/API.md, "Admin keys").\n\n'
    );
  }
  return '';
}

/** The embedded database in words: where its data is, and whether this process owns the server. */
function embeddedNote(rt: Runtime): string {
  const e = rt.embedded;
  if (!e) return '';
  if (e.started) return ` (embedded, data in ${e.dataDir})`;
  const running = `its server, pid ${e.pid ?? '?'}, was running already and is left running`;
  return e.orphaned
    ? ` (embedded, data in ${e.dataDir}; ${running}: the hub that started it is gone, ` +
        `so stop it with kill -INT ${e.pid ?? '<pid>'} when done)`
    : ` (embedded, data in ${e.dataDir}; ${running})`;
}

function banner(rt: Runtime, listen: { host: string; port: number }, role: string): void {
  const { config } = rt.deps;
  process.stdout.write(
    [
      `Omnihub ${role} ready`,
      `  listening:  ${listeningLine(listen.host, listen.port)}`,
      '              GraphQL /graphql, admin REST /admin/v1, health /healthz /readyz, ' +
        'metrics /metrics with OMNIHUB_METRICS_TOKEN or on OMNIHUB_METRICS_PORT',
      `  console:    ${listeningLine(listen.host, listen.port).split(' ')[0]}console  ` +
        '(sign in with the admin key, or a console key with console:<area> scopes: see the README)',
      ...(config.nodeEnv === 'production'
        ? []
        : [
            `  explorer:   ${listeningLine(listen.host, listen.port).split(' ')[0]}explorer  ` +
              '(paste a channel client key: npx omnihub create-client --channel CONSOLE)',
          ]),
      `  database:   ${rt.describe.database}${embeddedNote(rt)}`,
      `  redis:      ${rt.describe.redis}  (prefix ${config.redisPrefix})`,
      '',
    ].join('\n'),
  );
}

const OPTIONS = {
  kind: { type: 'string' },
  format: { type: 'string' },
  channel: { type: 'string' },
  location: { type: 'string' },
  url: { type: 'string' },
  skus: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  currency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * The command line's words and options; an unknown option or a missing value is said in the command line's
 * words.
 */
function parseArguments(
  argv: string[],
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>> {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const option = /'([^']+)'/.exec(e instanceof Error ? e.message : '')?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new Error(`unknown option ${option ?? ''}; run "omnihub help" for the options`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new Error(`option ${option?.split(' ')[0] ?? ''} needs a value; run "omnihub help"`);
    throw e;
  }
}

/** The hub's modules, loaded once the arguments are read (`--help` loads none of them). */
async function loadHub() {
  const [shared, backoffice, channel, journey] = await Promise.all([
    import('../shared/index.js'),
    import('../backoffice-layer/index.js'),
    import('../channel-layer/index.js'),
    import('../journey-layer/index.js'),
  ]);
  return { shared, backoffice, channel, journey };
}

/** What every command is given: the configuration, the logger, the hub's modules and the parsed words. */
interface CommandContext {
  config: import('../shared/index.js').Config;
  logger: import('../shared/index.js').Logger;
  hub: Awaited<ReturnType<typeof loadHub>>;
  values: ReturnType<typeof parseArguments>['values'];
  positionals: string[];
}

/** `start`, `api` and `worker`: serve until a signal, then drain and close. */
async function serve(command: 'start' | 'api' | 'worker', ctx: CommandContext): Promise<void> {
  const { config, logger } = ctx;
  const { bootstrapAdminKey, listProducts, seedDemoOrders, seedDemoRetailer } = ctx.hub.backoffice;
  const { bootstrapRuntime, isChannelClientKey, startApiNode, startWorkerNode } = ctx.hub.channel;
  const rt = await bootstrapRuntime(config, { logger });
  if (command === 'start' && rt.embeddedDatabase) {
    const seeded = await seedDemoRetailer(rt.deps);
    const journey = await ctx.hub.journey.seedDemoJourney(rt.deps);
    const orders = await seedDemoOrders(rt.deps);
    if (!seeded.skipped)
      process.stdout.write(
        `Seeded the demo retailer: ${seeded.products} SKUs, ${seeded.locations} locations, ` +
          `${seeded.prices} prices, ${journey.members} members, ${journey.promotions} promotions, ` +
          `${journey.coupons} coupon codes, ${orders.placed} orders (revision ${seeded.revision})\n`,
      );
  } else if (command === 'start' && (await listProducts(rt.deps.db, { limit: 1 })).products.length === 0) {
    // A configured database is the operator's: never filled with demo data unasked, but an empty one is
    // said.
    process.stdout.write(
      "The catalogue is empty. `omnihub seed` loads the demo retailer (the README's examples use it); " +
        'imports and the admin API load your own.\n',
    );
  }
  const host = ctx.hub.shared.listenHost(config, command === 'start' ? 'start' : 'api');
  const closeOnFailure = async (e: unknown): Promise<never> => {
    await rt.close();
    throw e;
  };
  const adminKeyNote =
    command === 'worker'
      ? ''
      : await prepareAdminKey(rt, bootstrapAdminKey, isChannelClientKey).catch(closeOnFailure);
  const api =
    command === 'worker' ? undefined : await startApiNode(rt.deps, config.port, host).catch(closeOnFailure);
  const worker =
    command === 'api' ? undefined : await startWorkerNode(rt.deps, { serveMetrics: command === 'worker' });
  // Signals are handled before anything says the hub is up: whoever reads "ready" and stops it at once gets a
  // drained, clean exit, not a process killed before its handler existed.
  onShutdown(async (signal) => {
    logger.info({ signal }, 'shutting down: draining requests and jobs');
    await api?.stop();
    await worker?.stop();
    await rt.close();
  });
  if (adminKeyNote) process.stdout.write(adminKeyNote);
  if (api) banner(rt, { host, port: api.port }, command === 'start' ? 'hub (API + worker)' : 'API node');
  else
    process.stdout.write(
      `Omnihub worker ready\n  database: ${rt.describe.database}\n  redis:    ${rt.describe.redis}\n` +
        (worker?.metricsPort !== undefined
          ? `  metrics:  http://${config.metricsHost}:${worker.metricsPort}/metrics\n`
          : ''),
    );
}

/** `seed`: the demo retailer, its members and offers, its orders; each skipped when its data exists. */
async function seed(ctx: CommandContext): Promise<void> {
  const rt = await ctx.hub.channel.bootstrapRuntime(ctx.config, { logger: ctx.logger });
  try {
    const s = await ctx.hub.backoffice.seedDemoRetailer(rt.deps);
    const j = await ctx.hub.journey.seedDemoJourney(rt.deps);
    const o = await ctx.hub.backoffice.seedDemoOrders(rt.deps);
    process.stdout.write(
      s.skipped
        ? 'The catalogue is not empty: seed skipped.\n'
        : `Seeded the demo retailer: ${s.products} SKUs, ${s.locations} locations, ` +
            `${s.priceLists} price lists, ${s.prices} prices, ${s.stockLevels} stock levels ` +
            `(revision ${s.revision})\n`,
    );
    process.stdout.write(
      j.skipped
        ? 'Members exist already: journey seed skipped.\n'
        : `Seeded the demo members and offers: ${j.members} members in every tier, ` +
            `${j.promotions} promotions, ${j.coupons} coupon codes\n`,
    );
    if (o.placed > 0)
      process.stdout.write(`Seeded ${o.placed} demo orders: deliveries and pickups in every state\n`);
  } finally {
    await rt.close();
  }
}

/** `consistency-check`: exits 0 when every channel answered alike, else 1. */
async function checkConsistency(ctx: CommandContext): Promise<never> {
  const { config, values } = ctx;
  const rt = await ctx.hub.channel.bootstrapRuntime(config, { logger: ctx.logger });
  let code = 1;
  try {
    const report = await ctx.hub.channel.consistencyCheck(rt.deps, {
      url: values.url ?? defaultHubUrl(config.host, config.port),
      ...(values.skus ? { skus: values.skus.split(',') } : {}),
    });
    code = report.ok ? 0 : 1;
  } finally {
    await rt.close();
  }
  process.exit(code);
}

/** `create-client`: issues a channel client key, shown once. */
async function createClient(ctx: CommandContext): Promise<void> {
  const { values } = ctx;
  const { ClientBodySchema, bootstrapRuntime, createChannelClient } = ctx.hub.channel;
  const parsed = ClientBodySchema.safeParse({
    name: values.name ?? `${values.channel ?? 'client'} client`,
    channel: values.channel,
    ...(values.location ? { locationId: values.location } : {}),
    ...(values.currency !== undefined ? { currency: values.currency } : {}),
    ...(values.scopes
      ? {
          scopes: values.scopes
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        }
      : {}),
  });
  if (!parsed.success)
    throw new Error(
      `usage: omnihub create-client --channel ${ctx.hub.shared.CHANNEL_KINDS.join('|')} [--location ID] ` +
        '[--name NAME] [--scopes customer-tokens,rate:500] [--currency GBP] ' +
        `(${parsed.error.issues.map((i) => i.message).join('; ')})`,
    );
  const rt = await bootstrapRuntime(ctx.config, { logger: ctx.logger });
  try {
    const c = await createChannelClient(rt.deps.db, parsed.data, rt.deps.clock.now());
    const { channel, locationId, currency } = parsed.data;
    const where = `${locationId ? ` at ${locationId}` : ''}${currency ? `, ${currency}` : ''}`;
    process.stdout.write(`Channel client ${c.id} (${channel}${where})\n  key (shown once): ${c.key}\n`);
  } finally {
    await rt.close();
  }
}

/**
 * `import FILE`: exits 130/143 when a signal stopped it, 1 when it stopped early or the file holds no rows, 2
 * when rows were rejected, so scripts notice; the good rows have landed.
 */
async function importFile(ctx: CommandContext): Promise<never> {
  const file = ctx.positionals[1];
  if (!file)
    throw new Error('usage: omnihub import FILE [--kind products|prices|stock] [--format ndjson|csv]');
  const rt = await ctx.hub.channel.bootstrapRuntime(ctx.config, { logger: ctx.logger });
  let code = 1;
  try {
    const { kind, format } = ctx.values;
    const summary = await ctx.hub.backoffice.runImportCommand(rt.deps, file, { kind, format });
    if (summary.interrupted) code = summary.interrupted === 'SIGINT' ? 130 : 143;
    else if (summary.status === 'FAILED' || summary.rows === 0) code = 1;
    else code = summary.errorRows > 0 ? 2 : 0;
  } finally {
    await rt.close();
  }
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArguments(argv);
  const command = positionals[0];
  if (!command || values.help || command === 'help') {
    process.stdout.write(`${await helpText()}\n`);
    return;
  }
  if (!COMMANDS.includes(command)) throw new Error(`unknown command "${command}"; run "omnihub help"`);
  const extra = positionals.slice(command === 'import' ? 2 : 1);
  if (extra.length)
    throw new Error(
      `omnihub ${command} takes ${command === 'import' ? 'one FILE' : 'no arguments'}; ` +
        `unexpected: ${extra.map((x) => `"${x}"`).join(' ')} (run "omnihub help")`,
    );
  const hub = await loadHub();
  const config = hub.shared.loadConfig(process.env);
  const ctx: CommandContext = {
    config,
    logger: hub.shared.createLogger(config.logLevel),
    hub,
    values,
    positionals,
  };
  switch (command) {
    case 'start':
    case 'api':
    case 'worker':
      return serve(command, ctx);
    case 'migrate': {
      const rt = await hub.channel.bootstrapRuntime(config, { logger: ctx.logger });
      process.stdout.write('Migrations are current.\n');
      return rt.close();
    }
    case 'seed':
      return seed(ctx);
    case 'consistency-check':
      return checkConsistency(ctx);
    case 'create-client':
      return createClient(ctx);
    case 'import':
      return importFile(ctx);
    default:
      throw new Error(`unknown command "${command}"; run "omnihub help"`);
  }
}

/**
 * The hub a command on this machine asks by default: at its listen address, or loopback when it listens on
 * all.
 */
function defaultHubUrl(host: string | undefined, port: number): string {
  const h = !host || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`omnihub: ${describeError(e)}\n`);
  process.exit(1);
});
