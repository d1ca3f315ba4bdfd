/**
 * The hub's GraphQL explorer (development only): GraphiQL against this hub's `/graphql`, with the channel
 * client key and the optional customer token the developer pastes in sent as `Authorization: Bearer <key>`
 * and `X-Customer-Token` over HTTP, and as the graphql-ws connection params `{ authorization, customerToken
 * }` for subscriptions (docs/API.md). Built by `npm run build:explorer` (scripts/build-explorer.ts) into
 * dist/explorer/.
 */
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './explorer.css';

/** What the developer pasted: the channel client key and, for a signed-in customer, her token. */
interface Credentials {
  key: string;
  customerToken: string;
}

const STORAGE_KEY = 'omnihub-explorer-credentials';

/** The credentials kept for this tab (sessionStorage: gone when the tab closes), or empty ones. */
function storedCredentials(): Credentials {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    if (parsed && typeof parsed === 'object') {
      const { key, customerToken } = parsed as Record<string, unknown>;
      return {
        key: typeof key === 'string' ? key : '',
        customerToken: typeof customerToken === 'string' ? customerToken : '',
      };
    }
  } catch {
    /* unreadable: start empty */
  }
  return { key: '', customerToken: '' };
}

const DEFAULT_QUERY =
  '# The Omnihub channel API. Paste a channel client key above ' +
  `(npx omnihub create-client --channel CONSOLE),
# press Connect, then run this with Ctrl-Enter. The schema is in the Docs panel on the left.
query Explore {
  revision
  products(first: 3) {
    edges { node { sku name category } }
  }
}
`;

/** A fetcher that asks for a key first, without sending anything. */
const noKeyFetcher: Fetcher = async () => ({
  errors: [new GraphQLError('Paste a channel client key above and press Connect.')],
});

/**
 * GraphiQL's fetcher for this hub with `credentials`: POST /graphql, and graphql-ws on ws(s)://host/graphql
 * for subscriptions; `dispose` closes its WebSocket. `onRefused` hears the HTTP status of a request the hub's
 * gate refused (401: the key or token is wrong or revoked; 429: rate limited; 5xx: unavailable) — a query's
 * own errors (400) are for the response pane alone.
 */
function hubFetcher(
  { key, customerToken }: Credentials,
  onRefused: (status: number) => void,
): { fetcher: Fetcher; dispose: () => void } {
  const url = new URL('/graphql', window.location.href).href;
  const wsUrl = url.replace(/^http/, 'ws');
  const headers: Record<string, string> = {
    authorization: `Bearer ${key}`,
    ...(customerToken ? { 'x-customer-token': customerToken } : {}),
  };
  const wsClient = createClient({
    url: wsUrl,
    connectionParams: { authorization: `Bearer ${key}`, ...(customerToken ? { customerToken } : {}) },
    retryAttempts: 0,
  });
  const watched: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (res.status === 401 || res.status === 429 || res.status >= 500) onRefused(res.status);
    return res;
  };
  const fetcher = createGraphiQLFetcher({ url, headers, wsClient, fetch: watched });
  // The document is parsed here rather than taken from the editor's state, which may lag the text just typed
  // or pasted: a subscription then still goes over WebSocket (over HTTP the hub refuses it).
  return {
    fetcher: (params, opts) =>
      fetcher(params, { ...opts, documentAST: parsed(params.query) ?? opts?.documentAST }),
    dispose: () => {
      void wsClient.dispose();
    },
  };
}

/** What the status line says when the hub's gate refused a request with `status`. */
function refusal(status: number): string {
  if (status === 401)
    return 'The hub refused this key or customer token (401): check them, or issue new ones.';
  if (status === 429) return 'Rate limited (429): wait a moment.';
  return `The hub answered ${status}: see the response.`;
}

/** `query` parsed, or undefined when it does not parse (the hub then says why). */
function parsed(query: string): DocumentNode | undefined {
  try {
    return parse(query);
  } catch {
    return undefined;
  }
}

function Explorer() {
  const [draft, setDraft] = useState<Credentials>(storedCredentials);
  const [active, setActive] = useState<Credentials>(storedCredentials);
  const [status, setStatus] = useState(
    active.key ? 'Loading the schema…' : 'Paste a channel client key and press Connect.',
  );
  const hub = useMemo(
    () => (active.key ? hubFetcher(active, (code) => setStatus(refusal(code))) : undefined),
    [active],
  );
  useEffect(() => () => hub?.dispose(), [hub]);
  const fetcher = hub?.fetcher ?? noKeyFetcher;

  // Stable: GraphiQL loads the schema again whenever this callback changes.
  const schemaLoaded = useCallback((schema: GraphQLSchema) => {
    const typeCount = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__')).length;
    setStatus(`Connected: schema loaded (${typeCount} types).`);
  }, []);

  const connect = (e: FormEvent) => {
    e.preventDefault();
    const next = { key: draft.key.trim(), customerToken: draft.customerToken.trim() };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setActive(next);
    // A new fetcher: GraphiQL loads the schema again with it.
    setStatus(next.key ? 'Loading the schema…' : 'Paste a channel client key and press Connect.');
  };

  return (
    <div className="omnihub-explorer">
      <form className="omnihub-bar" onSubmit={connect}>
        <span className="omnihub-title">
          Omnihub GraphQL explorer <small>development</small>
        </span>
        <label>
          Channel client key
          <input
            name="key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="ohk_…"
            value={draft.key}
            onChange={(e) => setDraft({ ...draft, key: e.target.value })}
          />
        </label>
        <label>
          Customer token <small>(optional)</small>
          <input
            name="customerToken"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={draft.customerToken}
            onChange={(e) => setDraft({ ...draft, customerToken: e.target.value })}
          />
        </label>
        <button type="submit">Connect</button>
        <output className="omnihub-status" aria-live="polite">
          {status}
        </output>
      </form>
      <div className="omnihub-graphiql">
        <GraphiQL
          fetcher={fetcher}
          defaultQuery={DEFAULT_QUERY}
          isHeadersEditorEnabled={false}
          shouldPersistHeaders={false}
          onSchemaChange={schemaLoaded}
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById('explorer')!).render(<Explorer />);
