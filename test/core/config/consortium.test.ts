import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coordinatorAddress, coordinatorServerName, loadConsortiumFile } from '../../../core/config/consortium.ts';
import { CohortError } from '../../../core/errors/index.ts';
import { tempDir, writeConsortium } from '../pki/fixtures.ts';

/** The smallest valid consortium, with one site `s1`; `rest` adds top-level fields. */
function smallConsortium(keyHolder: string, rest = ''): string {
  return `name: c\ncoordinator: { name: coord, hosts: [localhost], port: 1 }\nkeyHolder: ${keyHolder}\nsites: [ { name: s1 } ]\n${rest}`;
}

function loadError(text: string, dir: string): CohortError {
  try {
    loadConsortiumFile(writeConsortium(dir, text));
  } catch (e) {
    if (e instanceof CohortError) return e;
    throw e;
  }
  throw new Error('expected the consortium file to be refused');
}

describe('consortium file', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('cohort-consortium-');
  });
  afterEach(() => tmp.cleanup());

  it('loads the documented example with defaults filled in and the result frozen', () => {
    const c = loadConsortiumFile(
      writeConsortium(
        tmp.dir,
        `name: demo-consortium
coordinator: { name: coordinator, hosts: [localhost, 127.0.0.1], port: 7443 }
keyHolder: hospital-a
sites: [ { name: hospital-a }, { name: hospital-b } ]
users: [ { name: alice, role: data-scientist }, { name: olga, role: operator }, { name: ann, role: approver }, { name: aud, role: auditor } ]
`,
      ),
    );
    expect(c).toEqual({
      name: 'demo-consortium',
      coordinator: { name: 'coordinator', hosts: ['localhost', '127.0.0.1'], port: 7443 },
      keyHolder: 'hospital-a',
      sites: [{ name: 'hospital-a' }, { name: 'hospital-b' }],
      users: [
        { name: 'alice', role: 'data-scientist' },
        { name: 'olga', role: 'operator' },
        { name: 'ann', role: 'approver' },
        { name: 'aud', role: 'auditor' },
      ],
      pki: { certValidityDays: 90, coordinatorCertValidityDays: 365, crlValidityDays: 30, caValidityDays: 3650 },
    });
    expect(Object.isFrozen(c.sites[0])).toBe(true);
    expect(coordinatorAddress(c)).toBe('localhost:7443');
  });

  it('lists every problem at once, each with its path', () => {
    const e = loadError(
      `name: Demo
coordinator: { name: coordinator, hosts: [localhost, "*.example.org"], port: 70000 }
keyHolder: hospital-z
sites: [ { name: hospital-a }, { name: hospital-a, colour: red } ]
users: [ { name: alice, role: boss }, { name: coordinator, role: operator } ]
extra: 1
`,
      tmp.dir,
    );
    expect(e.code).toBe('COHORT_E_CONFIG_INVALID');
    expect(e.grpc).toBe(3); // INVALID_ARGUMENT
    expect([...(e.details.problems as string[])].sort()).toEqual(
      [
        'name: expected a lowercase name: a letter, then up to 62 letters, digits or "-"',
        'coordinator.hosts[1]: expected a DNS name or an IP address (no wildcards, no port)',
        'coordinator.port: Too big: expected number to be <=65535',
        'sites[1].colour: unknown field',
        'users[0].role: Invalid option: expected one of "data-scientist"|"operator"|"approver"|"auditor"',
        'extra: unknown field',
        'sites[1].name: duplicate name "hospital-a"',
        'users[1].name: duplicate name "coordinator"',
        'keyHolder: "hospital-z" is not one of the sites (hospital-a)',
      ].sort(),
    );
    expect(e.message).toContain('sites[1].name: duplicate name "hospital-a"');
  });

  it('refuses a keyHolder that is a user rather than a site', () => {
    const e = loadError(smallConsortium('alice', 'users: [ { name: alice, role: operator } ]\n'), tmp.dir);
    expect(e.details.problems).toEqual(['keyHolder: "alice" is not one of the sites (s1)']);
  });

  it('refuses coordinator hosts without a DNS name: clients dialling an IP send that name as SNI (RFC 6066)', () => {
    const e = loadError(smallConsortium('s1').replace('hosts: [localhost]', 'hosts: [127.0.0.1, "::1"]'), tmp.dir);
    expect(e.code).toBe('COHORT_E_CONFIG_INVALID');
    expect(e.details.problems).toEqual(['coordinator.hosts: expected at least one DNS name among the hosts (the TLS server name clients send when they dial an IP address)']);
  });

  it('names the first DNS host as the TLS server name, wherever it stands in the list', () => {
    expect(coordinatorServerName({ coordinator: { name: 'c', hosts: ['10.0.0.5', 'fl.example.org', 'localhost'], port: 7443 } })).toBe('fl.example.org');
  });

  it('refuses certificates that would outlive the CA', () => {
    const e = loadError(smallConsortium('s1', 'pki: { certValidityDays: 900, caValidityDays: 800 }\n'), tmp.dir);
    expect(e.details.problems).toEqual(['pki.certValidityDays: must not exceed pki.caValidityDays (800): no certificate may outlive its CA']);

  });

  it('reports a YAML syntax error with its line as COHORT_E_CONFIG_YAML', () => {
    const e = loadError('name: a\nname: b\n', tmp.dir);
    expect(e.code).toBe('COHORT_E_CONFIG_YAML');
    expect(e.details.problems).toEqual(['line 2, column 1: Map keys must be unique']);
  });

  it('reports a missing file as COHORT_E_GENERAL_FILE_NOT_FOUND', () => {
    expect(() => loadConsortiumFile(`${tmp.dir}/nope.yaml`)).toThrow(
      expect.objectContaining({ code: 'COHORT_E_GENERAL_FILE_NOT_FOUND', details: { file: `${tmp.dir}/nope.yaml` } }),
    );
  });

  it('puts an IPv6 coordinator host in brackets in the address', () => {
    expect(coordinatorAddress({ coordinator: { name: 'c', hosts: ['::1'], port: 7443 } })).toBe('[::1]:7443');
  });
});
