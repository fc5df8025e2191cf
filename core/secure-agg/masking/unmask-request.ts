/**
 * The coordinator's signed survivor set (docs/secure-aggregation.md, step 6). When uploads close,
 * the coordinator signs the unmask request (consortium, run, round, cohort digest, survivors U,
 * dropped D) with its certificate key, the key that signs its audit checkpoints. Every site
 * verifies the signature against the consortium CA and the coordinator's identity (role
 * coordinator, this consortium, not revoked) before it releases any share, and keeps the signed
 * request in its run state: two different signed sets for one round are the coordinator's
 * signature on an equivocation, which any holder of both can show.
 *
 * The coordinator loads this module: it imports nothing that reaches the HE key's modules.
 */
import { X509Certificate, createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { CohortError, SecureAggErrors } from '../../errors/index.ts';
import { identityFromCertificate } from '../../pki/identity.ts';

const UNMASK_CONTEXT = 'cohort-secagg-unmask-request-v1';

/** What the coordinator asks for when uploads close: the survivors and dropped sites of a round (protocol.ts releaseShares answers it). */
export interface UnmaskRequest {
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
  /** The cohort digest the request is made for (every member signed it: protocol.ts CohortSignature.cohort), hex: a site answers only for the cohort it confirmed. */
  readonly cohort: string;
  readonly survivors: readonly string[];
  readonly dropped: readonly string[];
}

/** The request as the coordinator publishes it (the same fields, under the name the coordinator's modules use). */
export type PublishedUnmask = UnmaskRequest;

/** The unmask request with the coordinator's signature, as stored and sent in the UNMASK task. */
export interface SignedUnmask {
  readonly request: PublishedUnmask;
  /** The coordinator's certificate (PEM): issued by the consortium CA, role coordinator. */
  readonly certificatePem: string;
  /** ECDSA-SHA256 (DER, base64) by the certificate key over {@link unmaskRequestBytes}. */
  readonly signature: string;
}

/** The bytes signed: the context string and every field of the request, in a fixed order. */
export function unmaskRequestBytes(r: PublishedUnmask): Buffer {
  return Buffer.from(JSON.stringify([UNMASK_CONTEXT, r.consortium, r.run, r.round, r.cohort, [...r.survivors], [...r.dropped]]));
}

/** Signs `request` with the coordinator's certificate key (a PKCS#8 PEM). */
export function signUnmaskRequest(request: PublishedUnmask, signer: { readonly certPem: string; readonly keyPem: string | KeyObject }): SignedUnmask {
  const key = typeof signer.keyPem === 'string' ? createPrivateKey(signer.keyPem) : signer.keyPem;
  const clean: PublishedUnmask = { consortium: request.consortium, run: request.run, round: request.round, cohort: request.cohort, survivors: [...request.survivors], dropped: [...request.dropped] };
  return { request: clean, certificatePem: signer.certPem, signature: sign('sha256', unmaskRequestBytes(clean), key).toString('base64') };
}

/** What a site checks a signed unmask request against. */
export interface UnmaskExpectation {
  readonly caPem: string;
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
  /** Revocation by certificate serial (a CRL the site verified itself). */
  readonly isRevoked: (serial: string) => boolean;
  readonly now?: number;
}

function unsigned(message: string, details: Record<string, unknown>, cause?: unknown): CohortError {
  return new CohortError(SecureAggErrors.UNMASK_UNSIGNED, message, { details, cause });
}

const isNames = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/**
 * Verifies a signed unmask request (JSON or parsed) and returns the request. Throws
 * SECURE_AGG_UNMASK_UNSIGNED when it is not signed, malformed, for another consortium, run or
 * round, signed under a certificate that is not a valid, unrevoked coordinator certificate of
 * this consortium's CA, or the signature does not verify over the request as it stands.
 */
export function verifyUnmaskRequest(input: unknown, expect: UnmaskExpectation): PublishedUnmask {
  const where = { run: expect.run, round: expect.round };
  const what = `the unmask request of round ${expect.round} of run ${expect.run}`;
  let s: Partial<SignedUnmask>;
  try {
    s = (typeof input === 'string' ? JSON.parse(input) : input) as Partial<SignedUnmask>;
  } catch (e) {
    throw unsigned(`${what} is not JSON`, where, e);
  }
  if (typeof s !== 'object' || s === null || typeof s.signature !== 'string' || typeof s.certificatePem !== 'string' || typeof s.request !== 'object' || s.request === null) {
    throw unsigned(`${what} carries no coordinator signature; nothing is released`, where);
  }
  const r = s.request;
  if (r.consortium !== expect.consortium || r.run !== expect.run || r.round !== expect.round || typeof r.cohort !== 'string' || !isNames(r.survivors) || !isNames(r.dropped)) {
    throw unsigned(`${what} is malformed or names another consortium, run or round`, where);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(s.certificatePem);
  } catch (e) {
    throw unsigned(`${what}: the signer's certificate is not PEM X.509`, where, e);
  }
  const ca = new X509Certificate(expect.caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw unsigned(`${what}: the signer's certificate was not issued by the consortium CA`, where);
  const now = expect.now ?? Date.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) throw unsigned(`${what}: the signer's certificate is not valid now (${cert.validFrom} .. ${cert.validTo})`, where);
  const id = identityFromCertificate(s.certificatePem);
  if (id.role !== 'coordinator' || id.consortium !== expect.consortium) {
    throw unsigned(`${what} is signed by ${id.role} "${id.name}" of "${id.consortium}", not by the coordinator of "${expect.consortium}"`, { ...where, signer: id.name, role: id.role });
  }
  if (expect.isRevoked(id.serial)) throw unsigned(`${what} is signed under certificate ${id.serial}, which the consortium CRL revokes`, { ...where, serial: id.serial });
  const request: PublishedUnmask = { consortium: r.consortium, run: r.run, round: r.round, cohort: r.cohort, survivors: [...r.survivors], dropped: [...r.dropped] };
  let ok = false;
  try {
    ok = verify('sha256', unmaskRequestBytes(request), cert.publicKey, Buffer.from(s.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw unsigned(`${what}: the coordinator's signature does not verify over the request`, where);
  return request;
}

/**
 * Two signed requests for one round that name different survivor sets (or digests): returns
 * true when they are an equivocation, both signed by the coordinator (each must have passed
 * {@link verifyUnmaskRequest}).
 */
export function equivocates(a: PublishedUnmask, b: PublishedUnmask): boolean {
  return !isDeepStrictEqual(
    { c: a.consortium, r: a.run, n: a.round, d: a.cohort, u: [...a.survivors], x: [...a.dropped] },
    { c: b.consortium, r: b.run, n: b.round, d: b.cohort, u: [...b.survivors], x: [...b.dropped] },
  );
}

/** The request in a stored 'unmask' row: a signed one, or (a coordinator from before signing) the bare request. */
export function requestOfStored(json: string): PublishedUnmask {
  const parsed = JSON.parse(json) as SignedUnmask | PublishedUnmask;
  return 'request' in parsed ? parsed.request : parsed;
}

/** The signer's key parsed once (the coordinator signs every masked round with it). */
export function unmaskSigner(signer: { readonly certPem: string; readonly keyPem: string }): { readonly certPem: string; readonly keyPem: KeyObject } {
  return { certPem: signer.certPem, keyPem: createPrivateKey(signer.keyPem) };
}
