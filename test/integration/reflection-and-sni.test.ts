/**
 * What standard gRPC tooling sees of a real coordinator over mTLS on 127.0.0.1: server
 * reflection lists every service it serves (what `grpcurl list` asks), and dialling the
 * coordinator by IP address sends no IP address as the TLS server name (RFC 6066), so Node
 * prints no DEP0123 warning, while the certificate is still checked against that address.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, CHANNEL_OPTIONS, unary } from '../../core/rpc/clients.ts';
import { clientChannelOptions, clientCredentials, coordinatorIdentityCheck } from '../../core/tls/client-credentials.ts';
import { peerCertificate } from '../core/tls/harness.ts';
import { startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const REFLECTION_PROTO_DIR = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** One request on the reflection stream of `version` (v1, or v1alpha as older tools use). */
function reflect(t: TestConsortium, version: 'v1' | 'v1alpha', request: Record<string, string>): Promise<ReflectionResponse> {
  const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [REFLECTION_PROTO_DIR], keepCase: false });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> } };
  const Client = pkg.grpc.reflection[version]?.ServerReflection as grpc.ServiceClientConstructor;
  const kit = t.kit('alice');
  const client = new Client(t.address, clientCredentials(kit, t.address), { ...CHANNEL_OPTIONS, ...clientChannelOptions(kit, t.address) });
  return new Promise((resolve, reject) => {
    const call = (client as unknown as { serverReflectionInfo(): grpc.ClientDuplexStream<unknown, ReflectionResponse> }).serverReflectionInfo();
    call.on('data', (res: ReflectionResponse) => {
      resolve(res);
      call.end();
      client.close();
    });
    call.on('error', (e) => {
      client.close();
      reject(e);
    });
    call.write(request);
  });
}

describe('a coordinator seen by standard gRPC tooling', () => {
  let t: TestConsortium;
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(`${(w as Error & { code?: string }).code ?? w.name}: ${w.message}`);
  };

  beforeAll(async () => {
    process.on('warning', onWarning);
    t = await startTestConsortium({ name: 'tooling-test', sites: ['site-a'], users: [{ name: 'alice', role: 'data-scientist' }, { name: 'olga', role: 'operator' }] });
  }, 60_000);

  afterAll(async () => {
    process.off('warning', onWarning);
    await t?.coordinator.stop();
    if (t) rmSync(t.dir, { recursive: true, force: true });
  });

  it('lists the admin, site and health services by reflection (v1 and v1alpha)', async () => {
    for (const version of ['v1', 'v1alpha'] as const) {
      const res = await reflect(t, version, { listServices: '' });
      const names = res.listServicesResponse?.service.map((s) => s.name).sort();
      expect([version, names]).toEqual([version, ['cohort.v1.AdminService', 'cohort.v1.AuditService', 'cohort.v1.RegistryService', 'cohort.v1.SiteService', 'grpc.health.v1.Health']]);
    }
  });

  it('describes the health service by symbol, as `grpcurl describe grpc.health.v1.Health` asks', async () => {
    const res = await reflect(t, 'v1', { fileContainingSymbol: 'grpc.health.v1.Health' });
    expect(res.errorResponse).toBeUndefined();
    const files = res.fileDescriptorResponse?.fileDescriptorProto ?? [];
    expect(files.length).toBeGreaterThan(0);
    expect(files.some((f) => f.includes(Buffer.from('grpc.health.v1')) && f.includes(Buffer.from('Health')))).toBe(true);
  });

  it('dials 127.0.0.1 with a DNS server name from the kit, and Node warns of nothing', async () => {
    const olga = t.kit('olga');
    expect(olga.coordinatorServerName).toBe('localhost');
    expect(clientChannelOptions(olga, t.address)).toEqual({ 'grpc.ssl_target_name_override': 'localhost' });
    expect(clientChannelOptions(olga, 'localhost:7443')).toEqual({});
    const client = adminClient(olga, t.address);
    try {
      const res = await unary<{ sites: unknown[] }>((o, cb) => client.listSites({}, o, cb));
      expect(res.sites).toEqual([]);
    } finally {
      client.close();
    }
    expect(warnings.filter((w) => w.startsWith('DEP0123'))).toEqual([]);
  });

  it("still checks the certificate against the IP address dialled, not the server name sent", () => {
    const pem = t.kit('coordinator').certPem;
    const peer = peerCertificate(pem);
    expect(new X509Certificate(pem).subjectAltName).toBe('URI:cohort://tooling-test/coordinator/coordinator, DNS:localhost, IP Address:127.0.0.1');
    expect(coordinatorIdentityCheck('tooling-test', '127.0.0.1')('localhost', peer)).toBeUndefined();
    // gRPC hands the check the override ("localhost"); an address the certificate does not carry still fails.
    expect(coordinatorIdentityCheck('tooling-test', '10.9.8.7')('localhost', peer)?.message).toBe(
      "Hostname/IP does not match certificate's altnames: IP: 10.9.8.7 is not in the cert's list: 127.0.0.1",
    );
    // Checking the name gRPC passes in instead would have accepted it.
    expect(coordinatorIdentityCheck('tooling-test')('localhost', peer)).toBeUndefined();
  });

  it('would have seen the warning: the same call without the server-name option prints DEP0123', async () => {
    // In a child process, so that the warning it provokes lands in its stderr, not on this run's screen.
    const url = (p: string): string => pathToFileURL(join(ROOT, p)).href;
    const script = [
      `import { loadKit } from ${JSON.stringify(url('core/pki/kit.ts'))};`,
      `import { CHANNEL_OPTIONS, unary } from ${JSON.stringify(url('core/rpc/clients.ts'))};`,
      `import { clientCredentials } from ${JSON.stringify(url('core/tls/client-credentials.ts'))};`,
      `import { loadCohortProtos } from ${JSON.stringify(url('protos/load.ts'))};`,
      `const kit = loadKit(${JSON.stringify(join(t.dir, 'kits', 'olga'))});`,
      `const c = new (loadCohortProtos().admin.cohort.v1.AdminService)(${JSON.stringify(t.address)}, clientCredentials(kit, ${JSON.stringify(t.address)}), CHANNEL_OPTIONS);`,
      'await unary((o, cb) => c.listSites({}, o, cb));',
      'c.close();',
    ].join('\n');
    const { stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT });
    expect(stderr).toContain('[DEP0123] DeprecationWarning: Setting the TLS ServerName to an IP address is not permitted by RFC 6066');
  }, 60_000);
});
