import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKit, type Kit } from '../../../core/pki/index.ts';
import { provisionConsortium, revoke } from '../../support/provision.ts';
import { clientCredentials, coordinatorIdentityCheck, serverCredentials, type CohortServerCredentials } from '../../../core/tls/credentials.ts';
import { DEMO_CONSORTIUM, tempDir, writeConsortium } from '../pki/fixtures.ts';
import { healthCheck, mixedCredentials, peerCertificate, startServer, tls11Credentials, whoAmIClient, type TestServer } from './harness.ts';

describe('mutual TLS between the coordinator and its clients', () => {
  const tmp = tempDir('cohort-tls-');
  const out = join(tmp.dir, 'out');
  const otherOut = join(tmp.dir, 'other');
  const kits: Record<string, Kit> = {};
  let foreign: Kit;
  let creds: CohortServerCredentials;
  let server: TestServer;

  beforeAll(async () => {
    await provisionConsortium(writeConsortium(tmp.dir), out);
    await revoke(out, 'olga', { reason: 'privilegeWithdrawn' });
    for (const name of ['coordinator', 'hospital-a', 'hospital-b', 'alice', 'olga']) kits[name] = loadKit(join(out, name));
    await provisionConsortium(writeConsortium(tmp.dir, undefined, 'same-names.yaml'), otherOut);
    foreign = loadKit(join(otherOut, 'hospital-a'));
    creds = await serverCredentials(kits.coordinator as Kit);
    server = await startServer(creds);
  });
  afterAll(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('accepts a client with a valid consortium certificate', async () => {
    expect(await healthCheck(server.port, clientCredentials(kits['hospital-a'] as Kit))).toBe(grpc.status.OK);
  });

  it('takes the caller identity from the certificate: exact name, role and serial', async () => {
    const kit = kits.alice as Kit;
    const client = whoAmIClient(server.port, clientCredentials(kit));
    try {
      const res = await client.call();
      const serial = JSON.parse(readFileSync(join(out, '.provisioner', 'state.json'), 'utf8')).issued.find((i: { name: string }) => i.name === 'alice').serial;
      expect(res).toEqual({ code: grpc.status.OK, body: { name: 'alice', role: 'data-scientist', consortium: 'demo-consortium', serial } });
    } finally {
      client.close();
    }
  });

  it('refuses a client that presents no certificate', async () => {
    const noCert = grpc.credentials.createSsl(Buffer.from((kits['hospital-a'] as Kit).caPem));
    expect(await healthCheck(server.port, noCert)).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a certificate from another CA, even with the same name', async () => {
    expect(await healthCheck(server.port, mixedCredentials(kits['hospital-a'] as Kit, foreign))).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a certificate revoked at provisioning time', async () => {
    expect(await healthCheck(server.port, clientCredentials(kits.olga as Kit))).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a client limited to TLS 1.1', async () => {
    const kit = kits['hospital-a'] as Kit;
    expect(await healthCheck(server.port, tls11Credentials(kit))).toBe(grpc.status.UNAVAILABLE);
  });

  it("makes a client refuse a server whose certificate is not from the client's CA", async () => {
    expect(await healthCheck(server.port, clientCredentials(foreign))).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('the client-side check of the server identity', () => {
  const tmp = tempDir('cohort-tls-');
  let mine: Kit;
  let theirs: Kit;
  let site: Kit;
  beforeAll(async () => {
    await provisionConsortium(writeConsortium(tmp.dir), join(tmp.dir, 'a'));
    await provisionConsortium(
      writeConsortium(tmp.dir, DEMO_CONSORTIUM.replace('name: demo-consortium', 'name: other-consortium'), 'other.yaml'),
      join(tmp.dir, 'b'),
    );
    mine = loadKit(join(tmp.dir, 'a', 'coordinator'));
    theirs = loadKit(join(tmp.dir, 'b', 'coordinator'));
    site = loadKit(join(tmp.dir, 'a', 'hospital-a'));
  });
  afterAll(() => tmp.cleanup());

  it("accepts the consortium coordinator at one of its hosts", () => {
    expect(coordinatorIdentityCheck('demo-consortium')('localhost', peerCertificate(mine.certPem))).toBeUndefined();
    expect(coordinatorIdentityCheck('demo-consortium')('127.0.0.1', peerCertificate(mine.certPem))).toBeUndefined();
  });

  it("refuses another consortium's coordinator, a host it does not name, and a site certificate", () => {
    expect(coordinatorIdentityCheck('demo-consortium')('localhost', peerCertificate(theirs.certPem))?.message).toBe(
      'server certificate belongs to coordinator "coordinator" of "other-consortium", not to the coordinator of "demo-consortium"',
    );
    expect(coordinatorIdentityCheck('demo-consortium')('example.org', peerCertificate(mine.certPem))?.message).toMatch(/^Hostname\/IP does not match certificate's altnames: Host: example\.org\./);
    expect(coordinatorIdentityCheck('demo-consortium')('localhost', peerCertificate(site.certPem))).toBeInstanceOf(Error);
  });
});
