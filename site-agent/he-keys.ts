/**
 * The site's key-ceremony material on its own disk, every file sealed (AES-256-GCM) under
 * the site's at-rest key from its owner-only key file:
 *
 *   <dataDir>/he/exchange-key.sealed     X25519 private key (PKCS#8 DER) for receiving the HE key
 *   <dataDir>/he/<keyId>.key.sealed      the consortium's BFV secret key envelope
 *   <dataDir>/he/<keyId>.params.json     its public parameters (not secret)
 *   <dataDir>/he/roster.sealed           key holder only: the sites its IT confirmed (core/secure-agg/roster.ts)
 *
 * The associated data names the file's role and key id, so a sealed file moved or renamed
 * into another slot fails to open.
 */
import { hkdfSync } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSealedFile, writeSealedFile } from '../core/crypto/at-rest.ts';
import { makePrivateDir, replaceFile, PUBLIC_FILE } from '../core/pki/files.ts';
import { exchangePublicKeyOf, generateExchangeKey, type HeKeyParameters } from '../core/secure-agg/key-ceremony.ts';
import { emptyRoster, parseRoster, type Roster } from '../core/secure-agg/roster.ts';

const KEY_ID = /^[0-9a-f]{32}$/;

export class HeKeyStore {
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly atRestKey: Buffer,
  ) {
    this.dir = join(dataDir, 'he');
  }

  /**
   * The key of this site's dataset fingerprints (HMAC), derived from its at-rest key with HKDF:
   * the same across runs and restarts, known to no one outside the site.
   */
  datasetFingerprintKey(): Buffer {
    return Buffer.from(hkdfSync('sha256', this.atRestKey, Buffer.alloc(0), 'cohort/dataset-fingerprint-key/v1', 32));
  }

  /**
   * What the imaging adapter (data/imaging-dataset.ts) needs: the at-rest key, from which it
   * derives its de-identification secret and cache names and under which it seals its cache
   * of de-identified files, and the cache's directory in the site's data directory.
   */
  imagingCache(): { readonly atRestKey: Buffer; readonly cacheDir: string } {
    return { atRestKey: this.atRestKey, cacheDir: join(this.dir, '..', 'imaging-cache') };
  }

  private exchangePath(): string {
    return join(this.dir, 'exchange-key.sealed');
  }

  /** `<dir>/<keyId><suffix>`, for a key id that cannot name a path outside he/. */
  private pathFor(keyId: string, suffix: string): string {
    if (!KEY_ID.test(keyId)) throw new RangeError(`HE key id must be 32 hex digits, got "${keyId}"`);
    return join(this.dir, `${keyId}${suffix}`);
  }

  private keyPath(keyId: string): string {
    return this.pathFor(keyId, '.key.sealed');
  }

  /** Whether the exchange key exists yet (the agent makes it when it first connects). */
  hasExchangeKey(): boolean {
    return existsSync(this.exchangePath());
  }

  /** Where the key holder's roster is kept. */
  rosterFile(): string {
    return join(this.dir, 'roster.sealed');
  }

  /** Whether the roster file exists (the key holder writes it on every ceremony). */
  hasRoster(): boolean {
    return existsSync(this.rosterFile());
  }

  /** The ids of the HE keys this site holds, sorted. */
  heldKeyIds(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .map((f) => /^([0-9a-f]{32})\.key\.sealed$/.exec(f)?.[1])
      .filter((id): id is string => id !== undefined)
      .sort();
  }

  /** The key holder's roster of confirmed sites; empty before its first confirmation. */
  roster(consortium: string): Roster {
    const path = this.rosterFile();
    if (!existsSync(path)) return emptyRoster(consortium);
    return parseRoster(readSealedFile(path, this.atRestKey, 'cohort-he-roster').toString('utf8'), consortium, path);
  }

  saveRoster(roster: Roster): void {
    makePrivateDir(this.dir);
    writeSealedFile(this.rosterFile(), this.atRestKey, Buffer.from(JSON.stringify(roster)), 'cohort-he-roster');
  }

  /** The site's X25519 exchange key, created (and sealed to disk) on first use. */
  exchangeKey(): { publicKeyDer: Buffer; privateKeyDer: Buffer } {
    const path = this.exchangePath();
    if (existsSync(path)) {
      const privateKeyDer = readSealedFile(path, this.atRestKey, 'cohort-he-exchange-key');
      return { publicKeyDer: exchangePublicKeyOf(privateKeyDer), privateKeyDer };
    }
    makePrivateDir(this.dir);
    const fresh = generateExchangeKey();
    writeSealedFile(path, this.atRestKey, fresh.privateKeyDer, 'cohort-he-exchange-key');
    return fresh;
  }

  has(keyId: string): boolean {
    return existsSync(this.keyPath(keyId));
  }

  /** Stores the consortium key (sealed) and its public parameters. */
  save(params: HeKeyParameters, secretKey: Uint8Array): void {
    makePrivateDir(this.dir);
    writeSealedFile(this.keyPath(params.keyId), this.atRestKey, secretKey, `cohort-he-secret-key:${params.keyId}`);
    replaceFile(this.pathFor(params.keyId, '.params.json'), `${JSON.stringify(params, null, 2)}\n`, PUBLIC_FILE);
  }

  /** The secret key envelope for `keyId`, or undefined when this site does not hold it. */
  secretKey(keyId: string): Buffer | undefined {
    const path = this.keyPath(keyId);
    return existsSync(path) ? readSealedFile(path, this.atRestKey, `cohort-he-secret-key:${keyId}`) : undefined;
  }

  params(keyId: string): HeKeyParameters | undefined {
    const path = this.pathFor(keyId, '.params.json');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as HeKeyParameters) : undefined;
  }
}
