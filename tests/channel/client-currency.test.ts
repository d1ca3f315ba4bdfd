/**
 * A channel client's market currency through the admin API: set where the client is issued, read back with
 * it, described in the OpenAPI document, and refused unless it is an ISO 4217 code the hub knows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAdminNode, type AdminNode } from '../support/admin-node.js';

let admin: AdminNode;
beforeAll(async () => {
  admin = await startAdminNode('currency');
});
afterAll(async () => {
  await admin.close();
});

describe('a channel client’s currency', () => {
  it('is issued with the client and read back; without one it is null (the hub’s default)', async () => {
    const uk = await admin.call('POST', '/clients', {
      body: { name: 'uk webshop', channel: 'WEB', currency: 'GBP' },
    });
    expect(uk.status).toBe(201);
    const plain = await admin.call('POST', '/clients', { body: { name: 'webshop', channel: 'WEB' } });
    expect(plain.status).toBe(201);
    const read = async (id: string) => (await admin.call('GET', `/clients/${id}`)).body.client;
    expect(await read(uk.body.id)).toMatchObject({ name: 'uk webshop', currency: 'GBP' });
    expect(await read(plain.body.id)).toMatchObject({ name: 'webshop', currency: null });
    const listed = (await admin.call('GET', '/clients')).body.clients as Array<{
      id: string;
      currency: unknown;
    }>;
    expect(listed.find((c) => c.id === uk.body.id)?.currency).toBe('GBP');
  });

  it('is refused, naming the field, unless it is an ISO 4217 code the hub knows', async () => {
    for (const currency of ['gbp', 'XYZ', 'POUND', 826]) {
      const res = await admin.call('POST', '/clients', { body: { channel: 'WEB', currency } });
      expect({ currency, status: res.status, code: res.body.code }).toEqual({
        currency,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      expect(res.text).toContain('currency');
    }
  });

  it('is described in the OpenAPI document, for the request and the client read back', async () => {
    const doc = (await admin.call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, any>>;
      components: { schemas: Record<string, any> };
    };
    const body = doc.paths['/admin/v1/clients']!.post.requestBody.content['application/json'].schema;
    const props = (body.$ref ? doc.components.schemas[body.$ref.split('/').pop()] : body).properties;
    expect(props.currency).toMatchObject({
      type: 'string',
      description: expect.stringContaining('ISO 4217'),
    });
    expect(doc.components.schemas.ChannelClient.properties.currency).toBeDefined();
  });
});
