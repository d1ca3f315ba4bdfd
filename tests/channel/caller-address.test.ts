/**
 * Which address per-address limits count: the socket's peer, or what a trusted proxy forwarded — never an
 * untrusted header.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { callerAddress, loadConfig } from '../../shared/index.js';

const request = (peer: string, forwarded?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded ? { 'x-forwarded-for': forwarded } : {},
  }) as unknown as IncomingMessage;

describe('callerAddress', () => {
  it('names the peer when no proxy is trusted, whatever the request claims', () => {
    const addressOf = callerAddress(loadConfig({}).trustProxy);
    expect(addressOf(request('198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
  });

  it('takes the forwarded address only from a trusted proxy (OMNIHUB_TRUST_PROXY)', () => {
    const trust = loadConfig({ OMNIHUB_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy;
    expect(trust).toEqual(['loopback', '10.0.0.0/8']);
    const addressOf = callerAddress(trust);
    expect(addressOf(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(addressOf(request('10.1.2.3', '198.51.100.9, 203.0.113.7'))).toBe('203.0.113.7');
    // A client that is not a trusted proxy cannot choose the address it is counted under.
    expect(addressOf(request('198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
  });

  it('refuses a setting that is not a list of addresses or names', () => {
    for (const bad of ['everyone', '10.0.0.0/99', '1.2.3.4; DROP'])
      expect(() => loadConfig({ OMNIHUB_TRUST_PROXY: bad })).toThrow(/OMNIHUB_TRUST_PROXY/);
  });
});
