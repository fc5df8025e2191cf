/**
 * A site's policy `requireMasking` (site-config.ts): the coordinator and the submitter cannot
 * switch pairwise masking off, or weaken its threshold, for a site that requires it. The same
 * offers are accepted by a site without the policy (the spec alone would decide).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecureAggErrors, SiteErrors, SpecErrors } from '../../core/errors/index.ts';
import { isMaskedRun } from '../../core/secure-agg/masked-run.ts';
import { finalCodec, type RunCodec } from '../../core/update-codec/codec-plan.ts';
import { plainDescriptor } from '../../core/update-codec/index.ts';
import { generateConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { ModelSpecSchema, type ModelSpec } from '../../models/spec-schema.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { RunWorker } from '../../site-agent/run-worker.ts';
import { SiteConfigSchema } from '../../site-agent/site-config.ts';
import { SiteAudit } from '../../site-agent/site-audit.ts';
import { offerMasked, recordDecision } from '../../site-agent/audit-hooks.ts';
import type { OfferDecision } from '../../site-agent/run-worker.ts';
import type { Task__Output } from '../../protos/gen/cohort/v1/Task.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { auditKits } from '../core/audit/fixture.ts';
import { siteWorker } from '../support/site-worker.ts';

describe('site policy requireMasking', () => {
  let dir: string;
  let request: RunCodec;
  let offerTo: (requireMasking: boolean, masking: ModelSpec['masking'], codec?: RunCodec, minSites?: number) => Promise<{ accept: boolean; reasonCode: string; worker: RunWorker }>;
  const offer = async (requireMasking: boolean, masking: ModelSpec['masking'], codec?: RunCodec, minSites?: number) => {
    const { accept, reasonCode } = await offerTo(requireMasking, masking, codec, minSites);
    return { accept, reasonCode };
  };
  const base = loadSpecFile(join(import.meta.dirname, '../../models/examples/demo-private.yaml'));
  const workers: RunWorker[] = [];
  let runs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-masking-policy-'));
    const [h] = await generateHospitals({ sites: 1, seed: 9, rowsPerSite: 120, outDir: join(dir, 'extracts') });
    const key = await generateConsortiumKey(await consortiumKeyContext());
    request = { kind: 'bfv-pending', length: updateLayout(base).length, key: key.params };
    offerTo = async (requireMasking, masking, codec = request, minSites = 3) => {
      const config = SiteConfigSchema.parse({
        dataDir: join(dir, `state-${requireMasking}`),
        keyFile: join(dir, `at-rest-${requireMasking}.key`),
        datasets: { heart: { path: h!.path, columns: syntheticColumnMapping() } },
        policy: { requireMasking, allowPlaintext: true, privacy: { maxEpsilon: null } },
      });
      const spec = ModelSpecSchema.parse({ ...base, rounds: 2, minSites, masking });
      const worker = siteWorker({ site: 'hospital-a', runId: `run-${++runs}`, spec, config, key });
      workers.push(worker);
      const d = await worker.decide('alice', codec);
      return { accept: d.accept, reasonCode: d.reasonCode, worker };
    };
  }, 60_000);

  afterAll(() => {
    for (const w of workers) w.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the spec schema takes masking absent, {} , a threshold or false, nothing else', () => {
    const rest = { ...base, masking: undefined };
    expect(ModelSpecSchema.parse(rest).masking).toBeUndefined();
    expect(ModelSpecSchema.parse({ ...rest, masking: false }).masking).toBe(false);
    expect(ModelSpecSchema.parse({ ...rest, masking: {} }).masking).toEqual({ threshold: 'default' });
    expect(ModelSpecSchema.safeParse({ ...rest, masking: true }).success).toBe(false);
    expect(ModelSpecSchema.safeParse({ ...rest, masking: { enabled: false } }).success).toBe(false);
  });

  it('declines an encrypted run that opts out of masking, with a code; a site without the policy accepts it', async () => {
    expect(await offer(true, false)).toEqual({ accept: false, reasonCode: SiteErrors.MASKING_REQUIRED.code });
    expect(await offer(false, false)).toEqual({ accept: true, reasonCode: '' });
  }, 60_000);

  it('declines the majority threshold, with a code; a site without the policy accepts it', async () => {
    expect(await offer(true, { threshold: 'majority' })).toEqual({ accept: false, reasonCode: SiteErrors.MASKING_REQUIRED.code });
    expect(await offer(false, { threshold: 'majority' })).toEqual({ accept: true, reasonCode: '' });
  }, 60_000);

  it('accepts an encrypted run masked by default (masking absent or {} or the default threshold)', async () => {
    expect(await offer(true, undefined)).toEqual({ accept: true, reasonCode: '' });
    expect(await offer(true, { threshold: 'default' })).toEqual({ accept: true, reasonCode: '' });
  }, 60_000);

  it('leaves plaintext runs to allowPlaintext', async () => {
    expect(await offer(true, false, plainDescriptor(updateLayout(base).length))).toEqual({ accept: true, reasonCode: '' });
  }, 60_000);

  // The downgrade (security review): a coordinator sized the final codec for 2 sites although 3+
  // accepted, and the sites, deciding masking from the codec's maxSummands, trained unmasked.
  it('declines a masked encrypted spec with minSites below 3, with or without requireMasking; masking: false with 2 sites is accepted', async () => {
    expect(await offer(true, undefined, request, 2)).toEqual({ accept: false, reasonCode: SpecErrors.MASKED_MIN_SITES.code });
    expect(await offer(false, undefined, request, 2)).toEqual({ accept: false, reasonCode: SpecErrors.MASKED_MIN_SITES.code });
    expect(await offer(false, { threshold: 'default' }, request, 1)).toEqual({ accept: false, reasonCode: SpecErrors.MASKED_MIN_SITES.code });
    expect(await offer(false, false, request, 2)).toEqual({ accept: true, reasonCode: '' });
    // A plaintext run is never masked: minSites 2 stays its own business (allowPlaintext).
    expect(await offer(true, undefined, plainDescriptor(updateLayout(base).length), 2)).toEqual({ accept: true, reasonCode: '' });
  }, 60_000);

  it('refuses a lying codec sized for 2 sites in a masked run, which stays masked; the same descriptor passes when the spec opts out', async () => {
    const masked = await offerTo(true, undefined, request, 3);
    expect(masked.accept).toBe(true);
    const twoSites = [1, 2].map(() => ({ num_examples: 100 }));
    const lying = finalCodec(masked.worker.spec, request, twoSites);
    expect(lying.kind === 'bfv' && lying.maxSummands).toBe(2);
    // The run stays masked whatever the codec claims: the spec decides.
    expect(isMaskedRun(masked.worker.spec, lying)).toBe(true);
    await expect(masked.worker.encoderFor(lying)).rejects.toMatchObject({ code: SecureAggErrors.PARAMS_MISMATCH.code });
    // The honest descriptor (3 accepted sites) is taken.
    await expect(masked.worker.encoderFor(finalCodec(masked.worker.spec, request, [...twoSites, { num_examples: 100 }]))).resolves.toBeDefined();
    // Without the defence the lying descriptor is a valid one: a spec that opts out (2 sites) works under it.
    const unmasked = await offerTo(false, false, request, 2);
    expect(unmasked.accept).toBe(true);
    const descriptor = finalCodec(unmasked.worker.spec, request, twoSites);
    expect(isMaskedRun(unmasked.worker.spec, descriptor)).toBe(false);
    await expect(unmasked.worker.encoderFor(descriptor)).resolves.toBeDefined();
  }, 120_000);

  it('records in the site audit log whether an accepted run masks: masked false for an encrypted opt-out, true by default', async () => {
    const kits = await auditKits();
    try {
      const auditDir = mkdtempSync(join(dir, 'audit-'));
      const audit = SiteAudit.open(auditDir, kits.site);
      const task = (runId: string, codec: RunCodec): Task__Output => ({ runId, submittedBy: 'alice', codecJson: JSON.stringify(codec) }) as Task__Output;
      for (const [masking, runId] of [[false, 'run-optout'], [undefined, 'run-masked']] as const) {
        const { accept, reasonCode, worker } = await offerTo(false, masking, request, 3);
        expect(accept).toBe(true);
        recordDecision(audit, worker.spec, task(runId, request), { accept, reasonCode } as OfferDecision);
      }
      audit.close();
      const accepts = readLineFile(join(auditDir, 'audit', 'audit.jsonl'))
        .lines.map((l) => JSON.parse(l.toString('utf8')) as { action: string; target: { run?: string }; details: Record<string, unknown> })
        .filter((r) => r.action === 'run.accept');
      expect(accepts.map((r) => [r.target.run, r.details])).toEqual([
        ['run-optout', { submittedBy: 'alice', masked: false }],
        ['run-masked', { submittedBy: 'alice', masked: true }],
      ]);
      // A plaintext run is never masked.
      expect(offerMasked({}, plainDescriptor(updateLayout(base).length))).toBe(false);
    } finally {
      rmSync(kits.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
