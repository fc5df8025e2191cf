/**
 * The site config hospital IT writes: where the site keeps its state, which training
 * device to use, how local extracts map onto the consortium's dataset names, and the
 * site's own policy. One strict schema; relative paths resolve against the config file.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { loadYamlFile } from '../core/config/load.ts';
import { Pkcs11ConfigSchema, resolvePkcs11Paths } from '../core/pki/pkcs11.ts';
import { isFingerprint } from '../core/secure-agg/fingerprints.ts';
import { DatasetMappingSchema } from './data/dataset-mapping.ts';

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/**
 * The site's own privacy budget, which it enforces itself: the coordinator only sees what the
 * site reports. Epsilons of the site's runs add up (basic composition), as do deltas.
 */
export const PrivacyPolicySchema = z
  .object({
    /** Total epsilon the site allows over all runs; null: no cap (runs without DP are then accepted). */
    maxEpsilon: z.number().positive().nullable().default(10),
    /** Total delta over all runs; null: no cap beyond each run's own delta. */
    maxDelta: z.number().gt(0).lt(1).nullable().default(null),
    /** Delta each run is accounted at; default 1 / (10 n) for n local training records. */
    delta: z.number().gt(0).lt(1).optional(),
  })
  .strict();

/**
 * What of its own numbers a site lets leave it, beside the DP-noised updates
 * (docs/privacy-accounting.md, "Released numbers that no epsilon covers"). Per-site record
 * counts and metrics are not covered by any epsilon, so they leave only as this says. Under the
 * `plain` codec (allowPlaintext) the coordinator sees each site's evaluation vector, whatever this says.
 */
export const ReleasePolicySchema = z
  .object({
    /**
     * The site's training-record count, in its answer to an offer and as the weight of a
     * weighted update: `exact`, `rounded` to a multiple of `roundTo` (half up, at least
     * `roundTo`), or `withheld` (not sent; the site then joins only unweighted runs).
     */
    recordCounts: z.enum(['exact', 'rounded', 'withheld']).default('rounded'),
    /** The unit of `rounded` counts (at most 1000: the reported privacy figures are bounded over each count it covers). */
    roundTo: z.number().int().min(2).max(1000).default(10),
    /**
     * Whether the site's own held-out metrics (loss, accuracy, AUC, row count) and training
     * loss go to the coordinator, where every data scientist of the run sees them. Off by
     * default: the consortium's metrics are summed under the encryption without them.
     */
    siteMetrics: z.boolean().default(false),
  })
  .strict()
  // A site's own accuracy is correct / rows: shared, it gives the held-out count away (a continued fraction recovers it).
  .refine((r) => !r.siteMetrics || r.recordCounts === 'exact', {
    message: 'siteMetrics: true needs recordCounts: exact (a shared accuracy or AUC is a ratio of counts and gives the exact count away)',
    path: ['siteMetrics'],
  });

export type ReleasePolicy = z.infer<typeof ReleasePolicySchema>;

export const SitePolicySchema = z
  .object({
    /** Smallest number of usable training rows for which the site joins a run. */
    minExamples: z.number().int().positive().default(20),
    /**
     * The reference of the agreement (BAA or DUA) this site signed with the consortium
     * operator. When set, the site accepts no run unless its kit (written by the operator at
     * signing) records an agreement with this reference that is in force today. null: no check.
     */
    requireAgreementReference: z.string().min(1).nullable().default(null),
    /** Data scientists allowed to run on this site's data; empty means any holder of a data-scientist certificate. */
    allowedSubmitters: z.array(z.string()).default([]),
    /** Spec feature names the site allows; empty means any feature it has mapped. */
    allowedFeatures: z.array(z.string()).default([]),
    /** Local columns that look like identifiers but the site allows as features, by name. */
    phiAllowList: z.array(z.string()).default([]),
    /**
     * Whether this site joins runs whose updates travel unencrypted (the `plain` codec, for
     * development). Off by default: a coordinator must not be able to downgrade a run. A plain
     * run also shows the coordinator this site's evaluation vector (its held-out counts).
     */
    allowPlaintext: z.boolean().default(false),
    /**
     * Whether this site joins only encrypted runs that keep pairwise masking on
     * (docs/secure-aggregation.md): it declines (COHORT_E_SITE_MASKING_REQUIRED) a BFV run whose
     * spec opts out (`masking: false`) or asks for the `majority` threshold. Off by default.
     */
    requireMasking: z.boolean().default(false),
    privacy: PrivacyPolicySchema.prefault({}),
    release: ReleasePolicySchema.prefault({}),
  })
  .strict();

/**
 * Where the at-rest key is kept when not as a plain file: `pkcs11` names an AES-256 key in
 * an HSM (made there by `cohort site init`) that wraps the data key in `keyFile`.
 */
export const KeyStoreSchema = z
  .object({
    pkcs11: Pkcs11ConfigSchema,
  })
  .strict();

export const SiteConfigSchema = z
  .object({
    /** Must equal the name in the site's kit certificate when given. */
    site: z.string().optional(),
    /** Where the agent keeps its encrypted state (per-run global weights and optimizer state). */
    dataDir: z.string().min(1),
    /** Owner-only file holding the AES-256 key for state at rest. */
    keyFile: z.string().min(1),
    /** Optional: keyFile then holds the data key wrapped by a key inside this HSM token. */
    keyStore: KeyStoreSchema.optional(),
    /**
     * The key holder's signing-key fingerprint (`signingKeyFingerprint`, which
     * `cohort site fingerprint` prints at the key holder), confirmed out of band with its IT.
     * The site opens a sealed HE key only when it is signed under this key; without it, none.
     * Not needed at the key holder itself.
     */
    keyHolderKey: z
      .string()
      .refine(isFingerprint, { message: 'expected SHA256: and 43 base64 characters, the signingKeyFingerprint that `cohort site fingerprint` prints at the key holder' })
      .optional(),
    /** Training backend; `auto` picks the fastest installed one. */
    device: z.enum(BACKENDS).default('auto'),
    /** Consortium dataset name -> local extract and column mapping. */
    datasets: z.record(z.string().min(1), DatasetMappingSchema),
    policy: SitePolicySchema.prefault({}),
  })
  .strict();

export type SiteConfig = z.output<typeof SiteConfigSchema>;
export type KeyStore = z.output<typeof KeyStoreSchema>;
export type SitePolicy = z.output<typeof SitePolicySchema>;
export type PrivacyPolicy = z.output<typeof PrivacyPolicySchema>;

function resolveFrom(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

/** Loads and validates a site config; every path in the result is absolute. */
export function loadSiteConfig(path: string): SiteConfig {
  const config = loadYamlFile(path, SiteConfigSchema, 'site config');
  const base = dirname(resolve(path));
  return {
    ...config,
    dataDir: resolveFrom(base, config.dataDir),
    keyFile: resolveFrom(base, config.keyFile),
    ...(config.keyStore === undefined ? {} : { keyStore: { pkcs11: resolvePkcs11Paths(config.keyStore.pkcs11, base) } }),
    datasets: Object.fromEntries(
      Object.entries(config.datasets).map(([name, m]) => [
        name,
        { ...m, path: resolveFrom(base, m.path), ...(m.labels === undefined ? {} : { labels: { ...m.labels, path: resolveFrom(base, m.labels.path) } }) },
      ]),
    ),
  };
}
