/**
 * Signed checkpoints: a C2SP tlog-checkpoint body (origin, tree size, base64 root) in a
 * C2SP signed note, signed with ECDSA P-256 by the log writer's certificate key. One
 * checkpoint is one line of `checkpoints.jsonl`: `{"note": <signed note>, "certificate": <PEM>}`.
 *
 * Departures from the specs (docs/audit-log.md says the same):
 * - Signature type: signed-note assigns 0x02 to "ECDSA as implemented by
 *   transparency-dev/witness" and says that key id is the hash of the SPKI alone. We sign
 *   ECDSA P-256 / SHA-256 (DER signature, as node:crypto and Go's SignASN1 write it) and
 *   compute the key id the way the spec RECOMMENDS for every type, binding the name:
 *   key id = SHA-256(key name || 0x0A || 0x02 || SPKI DER)[:4].
 * - The certificate travels beside the note, so that a verifier who holds only the
 *   consortium CA can check who signed; the signed-note spec expects verifiers to be
 *   configured with the key in advance.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AuditErrors, CohortError } from '../errors/index.ts';
import { identityFromCertificate, type Identity } from '../pki/identity.ts';

/** The signed-note signature type byte used here (see the departures above). */
export const ECDSA_SIGNATURE_TYPE = 0x02;

/** The origin (and key name) of a participant's audit log: schema-less, no spaces, no '+'. */
export function auditOrigin(id: Pick<Identity, 'consortium' | 'role' | 'name'>): string {
  return `cohort/${id.consortium}/${id.role}/${id.name}/audit`;
}

export interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  /** The 32-byte Merkle root. */
  readonly root: Buffer;
}

/** The checkpoint note text: three lines, each ending in a newline. */
export function formatCheckpointBody(body: CheckpointBody): string {
  return `${body.origin}\n${body.size}\n${body.root.toString('base64')}\n`;
}

/** One line of checkpoints.jsonl. */
export interface CheckpointLine {
  readonly note: string;
  readonly certificate: string;
}

/** A checkpoint whose note parsed; its signature is not yet checked. */
export interface ParsedCheckpoint extends CheckpointBody {
  readonly text: string;
  readonly keyName: string;
  readonly keyId: Buffer;
  readonly signature: Buffer;
  readonly certificate: string;
}

function keyIdOfSpki(keyName: string, spki: Buffer): Buffer {
  return createHash('sha256').update(keyName, 'utf8').update(Buffer.from([0x0a, ECDSA_SIGNATURE_TYPE])).update(spki).digest().subarray(0, 4);
}

/** SHA-256(key name || 0x0A || 0x02 || SPKI DER)[:4]. */
export function keyIdOf(keyName: string, publicKey: KeyObject): Buffer {
  return keyIdOfSpki(keyName, publicKey.export({ type: 'spki', format: 'der' }));
}

/** A writer's signing key, parsed once, with its key id under the log's key name (its origin). */
export interface CheckpointKey {
  readonly origin: string;
  readonly certPem: string;
  readonly key: KeyObject;
  readonly keyId: Buffer;
}

/** Parses the writer's PKCS#8 PEM key and computes its key id for `origin`, once for every checkpoint it signs. */
export function checkpointKey(origin: string, signer: { certPem: string; keyPem: string }): CheckpointKey {
  const key = createPrivateKey(signer.keyPem);
  return { origin, certPem: signer.certPem, key, keyId: keyIdOf(origin, createPublicKey(key)) };
}

/** Signs a checkpoint with the writer's key (a PKCS#8 PEM, or one parsed by checkpointKey); the certificate names the writer. */
export function signCheckpoint(body: CheckpointBody, signer: CheckpointKey | { certPem: string; keyPem: string }): CheckpointLine {
  const k = 'key' in signer ? signer : checkpointKey(body.origin, signer);
  if (k.origin !== body.origin) throw new Error(`the checkpoint key was prepared for ${k.origin}, not for ${body.origin}`);
  const text = formatCheckpointBody(body);
  const signature = sign('sha256', Buffer.from(text, 'utf8'), k.key);
  return { note: `${text}\n\u2014 ${body.origin} ${Buffer.concat([k.keyId, signature]).toString('base64')}\n`, certificate: k.certPem };
}

function malformed(index: number, why: string): CohortError {
  return new CohortError(AuditErrors.CHECKPOINT_MALFORMED, `checkpoint ${index}: ${why}`, { details: { checkpoint: index } });
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses one checkpoints.jsonl line (`index` names it in errors). Throws COHORT_E_AUDIT_CHECKPOINT_MALFORMED. */
export function parseCheckpointLine(line: Uint8Array, index: number): ParsedCheckpoint {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(line).toString('utf8'));
  } catch {
    throw malformed(index, 'not JSON');
  }
  const v = value as Partial<CheckpointLine> | null;
  if (typeof v !== 'object' || v === null || typeof v.note !== 'string' || typeof v.certificate !== 'string' || Object.keys(v).length !== 2) {
    throw malformed(index, 'expected exactly the fields "note" and "certificate", both strings');
  }
  const split = v.note.lastIndexOf('\n\n');
  if (split === -1) throw malformed(index, 'the note has no blank line before its signatures');
  const text = v.note.slice(0, split + 1);
  const sigLines = v.note.slice(split + 2).split('\n');
  if (sigLines.pop() !== '' || sigLines.length !== 1) throw malformed(index, 'expected exactly one signature line, ending in a newline');
  const sig = /^\u2014 (\S+) (\S+)$/.exec(sigLines[0]!);
  if (!sig || !BASE64.test(sig[2]!)) throw malformed(index, 'the signature line is not "\u2014 <key name> <base64>"');
  const raw = Buffer.from(sig[2]!, 'base64');
  if (raw.length <= 4) throw malformed(index, 'the signature is too short to hold a key id');
  const lines = text.split('\n');
  lines.pop();
  if (lines.length !== 3) throw malformed(index, `the checkpoint body has ${lines.length} lines, expected origin, size and root (no extension lines)`);
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === '' || /[\s+]/.test(origin)) throw malformed(index, 'the origin line is empty or holds a space or "+"');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw malformed(index, `the tree size "${sizeText}" is not a decimal without leading zeros`);
  const root = Buffer.from(rootText, 'base64');
  if (!BASE64.test(rootText) || root.length !== 32 || root.toString('base64') !== rootText) throw malformed(index, 'the root hash is not the base64 of 32 bytes');
  return { origin, size: Number(sizeText), root, text, keyName: sig[1]!, keyId: raw.subarray(0, 4), signature: raw.subarray(4), certificate: v.certificate };
}

/** Who signed a checkpoint, once its signature verified. */
export interface CheckpointSigner {
  readonly identity: Identity;
  /** The signer's SPKI, DER, base64: the same key across checkpoints means the same signer. */
  readonly spki: string;
  readonly chainedToCa: boolean;
}

/** A carried certificate, parsed once per verification. */
interface ParsedCertificate {
  readonly cert: X509Certificate;
  readonly identity: Identity;
  readonly publicKey: KeyObject;
  readonly spki: Buffer;
  /** Whether the CA issued it; computed on first need. */
  issuedByCa?: boolean;
}

/** Checks one parsed checkpoint; see checkpointVerifier. */
export type CheckpointVerifier = (cp: ParsedCheckpoint, index: number) => CheckpointSigner;

/**
 * A checker for the checkpoints of one verification: each checks a parsed checkpoint: the
 * key name is the origin, the carried certificate names the log's writer (its origin), the
 * key id and the ECDSA signature verify under that certificate, and, with `caPem`, the
 * certificate was issued by the consortium CA. The CA is parsed once, and each distinct
 * certificate once (its identity, key and SPKI). Throws COHORT_E_AUDIT_CHECKPOINT_SIGNATURE
 * or COHORT_E_AUDIT_CHECKPOINT_SIGNER.
 */
export function checkpointVerifier(caPem?: string): CheckpointVerifier {
  let ca: X509Certificate | undefined;
  const certificates = new Map<string, ParsedCertificate>();
  return (cp, index) => {
    const details = { checkpoint: index, treeSize: cp.size };
    const badSig = (why: string): CohortError => new CohortError(AuditErrors.CHECKPOINT_SIGNATURE, `checkpoint ${index} (tree size ${cp.size}): ${why}`, { details });
    const badSigner = (why: string): CohortError => new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${index} (tree size ${cp.size}): ${why}`, { details });
    let parsed = certificates.get(cp.certificate);
    if (parsed === undefined) {
      try {
        const cert = new X509Certificate(cp.certificate);
        const identity = identityFromCertificate(cp.certificate);
        const publicKey = cert.publicKey;
        parsed = { cert, identity, publicKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
      } catch {
        throw badSigner('the certificate it carries is not a Cohort participant certificate');
      }
      certificates.set(cp.certificate, parsed);
    }
    const { cert, identity, publicKey } = parsed;
    if (cp.keyName !== cp.origin) throw badSig(`signed by key "${cp.keyName}", not by the log's key "${cp.origin}"`);
    if (auditOrigin(identity) !== cp.origin) throw badSigner(`the certificate names ${identity.role} "${identity.name}", whose log is ${auditOrigin(identity)}, not ${cp.origin}`);
    if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw badSigner('the certificate key is not ECDSA P-256');
    if (!keyIdOfSpki(cp.keyName, parsed.spki).equals(cp.keyId)) throw badSig('the signature\'s key id is not the certificate key\'s');
    if (!verify('sha256', Buffer.from(cp.text, 'utf8'), publicKey, cp.signature)) throw badSig('the signature does not verify under the certificate key');
    let chainedToCa = false;
    if (caPem !== undefined) {
      ca ??= new X509Certificate(caPem);
      parsed.issuedByCa ??= cert.checkIssued(ca) && cert.verify(ca.publicKey);
      if (!parsed.issuedByCa) throw badSigner(`the certificate of "${identity.name}" was not issued by the consortium CA`);
      chainedToCa = true;
    }
    return { identity, spki: parsed.spki.toString('base64'), chainedToCa };
  };
}
