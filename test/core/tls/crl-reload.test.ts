import * as grpc from '@grpc/grpc-js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrlContents } from '../../../core/pki/crl.ts';
import { loadKit, type Kit } from '../../../core/pki/index.ts';
import { provisionConsortium, revoke } from '../../support/provision.ts';
import { clientCredentials, serverCredentials, watchCrlFile, type CohortServerCredentials } from '../../../core/tls/credentials.ts';
import { tempDir, writeConsortium } from '../pki/fixtures.ts';
import { healthCheck, startServer, tls11Credentials, whoAmIClient, type TestServer } from './harness.ts';

describe('revocation while the coordinator runs', () => {
  const tmp = tempDir('cohort-crl-');
  const out = join(tmp.dir, 'out');
  let coordinator: Kit;
  let creds: CohortServerCredentials;
  let server: TestServer;

  beforeAll(async () => {
    await provisionConsortium(writeConsortium(tmp.dir), out);
    coordinator = loadKit(join(out, 'coordinator'));
    creds = await serverCredentials(coordinator);
    server = await startServer(creds);
  });
  afterAll(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('refuses new connections of a certificate revoked by reloadCrl, and calls on its open connection', async () => {
    const b = loadKit(join(out, 'hospital-b'));
    const open = whoAmIClient(server.port, clientCredentials(b));
    try {
      expect((await open.call()).code).toBe(grpc.status.OK);
      expect(await healthCheck(server.port, clientCredentials(b))).toBe(grpc.status.OK);

      const r = await revoke(out, 'hospital-b');
      const crl = await creds.reloadCrl(readFileSync(join(out, 'coordinator', 'crl.pem'), 'utf8'));

      expect([...crl.revokedSerials]).toEqual([r.serial]);
      expect(creds.isRevoked(r.serial)).toBe(true);
      expect(await healthCheck(server.port, clientCredentials(b))).toBe(grpc.status.UNAVAILABLE);
      const onOpen = await open.call();
      expect(onOpen.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(onOpen.details).toBe(`COHORT_E_PKI_CERT_REVOKED: the certificate of site "hospital-b" (serial ${r.serial}) is revoked`);
      expect(await healthCheck(server.port, clientCredentials(loadKit(join(out, 'hospital-a'))))).toBe(grpc.status.OK);
    } finally {
      open.close();
    }
  });

  it('keeps the TLS 1.2 floor after a reload', async () => {
    const kit = loadKit(join(out, 'hospital-a'));
    expect(await healthCheck(server.port, tls11Credentials(kit))).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a CRL not signed by the CA and keeps the one in force', async () => {
    const other = tempDir('cohort-crl-other-');
    try {
      await provisionConsortium(writeConsortium(other.dir), join(other.dir, 'out'));
      const foreignCrl = readFileSync(join(other.dir, 'out', 'coordinator', 'crl.pem'), 'utf8');
      const before = creds.crl;
      await expect(creds.reloadCrl(foreignCrl)).rejects.toMatchObject({ code: 'COHORT_E_PKI_CRL_INVALID' });
      expect(creds.crl).toBe(before);
      expect(await healthCheck(server.port, clientCredentials(loadKit(join(out, 'hospital-a'))))).toBe(grpc.status.OK);
    } finally {
      other.cleanup();
    }
  });

  it('picks up a CRL that the provisioner rewrites in the coordinator kit', async () => {
    const alice = loadKit(join(out, 'alice'));
    expect(await healthCheck(server.port, clientCredentials(alice))).toBe(grpc.status.OK);
    const errors: unknown[] = [];
    let reloaded!: (crl: CrlContents) => void;
    const next = new Promise<CrlContents>((resolve) => {
      reloaded = resolve;
    });
    const stop = watchCrlFile(coordinator.crlPath ?? '', creds, { intervalMs: 25, onReload: (c) => reloaded(c), onError: (e) => errors.push(e) });
    try {
      const r = await revoke(out, 'alice', { reason: 'affiliationChanged' });
      const crl = await next;
      expect(crl.revokedSerials.has(r.serial)).toBe(true);
      expect(errors).toEqual([]);
      expect(await healthCheck(server.port, clientCredentials(alice))).toBe(grpc.status.UNAVAILABLE);
    } finally {
      stop();
    }
  });

  it('reports a broken CRL file through onError and keeps the CRL in force', async () => {
    const path = coordinator.crlPath ?? '';
    const before = creds.crl;
    let failed!: (e: unknown) => void;
    const error = new Promise<unknown>((resolve) => {
      failed = resolve;
    });
    const stop = watchCrlFile(path, creds, { intervalMs: 25, onError: (e) => failed(e) });
    const good = readFileSync(path, 'utf8');
    try {
      writeFileSync(path, 'not a crl\n');
      expect(await error).toMatchObject({ code: 'COHORT_E_PKI_CRL_INVALID' });
      expect(creds.crl).toBe(before);
    } finally {
      stop();
      writeFileSync(path, good);
    }
  });
});
