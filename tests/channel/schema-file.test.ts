/** docs/schema.graphql is the schema the server serves: client teams generate types from the repository. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  printSchema,
  type IntrospectionQuery,
} from 'graphql';
import {
  channelSchemaSdl,
  channelTypeDefs as typeDefs,
  createChannelClient,
  startApiNode,
  type ApiNode,
} from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { graphqlClient } from '../support/channel.js';

describe('docs/schema.graphql', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let key: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    key = (
      await createChannelClient(ctx.deps.db, { name: 'codegen', channel: 'WEB', scopes: [] }, new Date())
    ).key;
    node = await startApiNode(
      { ...ctx.deps, config: { ...ctx.deps.config, nodeEnv: 'development' } },
      0,
      '127.0.0.1',
    );
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  it('is what `npm run schema` writes (run it after changing the schema)', () => {
    expect(readFileSync(new URL('../../docs/schema.graphql', import.meta.url), 'utf8')).toBe(
      channelSchemaSdl(),
    );
  });

  it('is what a running hub serves, read back through introspection', async () => {
    const r = await graphqlClient(node.port, key)(getIntrospectionQuery());
    expect(r.errors).toBeUndefined();
    expect(printSchema(buildClientSchema(r.data as IntrospectionQuery))).toBe(
      printSchema(buildSchema(typeDefs)),
    );
  });
});
