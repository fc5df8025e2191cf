import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/**
 * Errors of the BFV secure-aggregation codec (core/secure-agg). Chunk-level refusals
 * that any codec can meet (bad index, oversized, unparsable) use UpdateErrors instead.
 */
export const SecureAggErrors = defineErrors({
  PARAMS: {
    code: 'COHORT_E_SECURE_AGG_PARAMS',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'The requested secure-aggregation parameters are invalid, or no BFV parameters within the wire budget can hold the sum of that many clipped values without wrap-around or noise overflow.',
    fix: 'Lower secureAggregation.precisionBits, maxWeight or maxSummands, or clip the update to a smaller per-coordinate bound.',
  },
  PARAMS_MISMATCH: {
    code: 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'A ciphertext chunk, key or codec descriptor names other encryption parameters or another key than the run uses (its paramsId differs).',
    fix: 'The sender uses another run\'s parameters or key; fetch the run\'s codec descriptor and key again and re-encrypt.',
  },
  KEY_MALFORMED: {
    code: 'COHORT_E_SECURE_AGG_KEY_MALFORMED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The secret key bytes could not be read as a Cohort BFV secret key for the run parameters.',
    fix: 'The key file is corrupt or for another run; restore it from the key distribution message of this run.',
  },
  WRONG_KEY: {
    code: 'COHORT_E_SECURE_AGG_WRONG_KEY',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The aggregate decrypted to garbage: its check slots do not hold the number of summands, so it was encrypted (at least in part) under another key, or corrupted.',
    fix: 'Make sure every site holds the run\'s key; if only one site fails, its key file is wrong. Otherwise rerun the round.',
  },
  NOISE_EXHAUSTED: {
    code: 'COHORT_E_SECURE_AGG_NOISE_EXHAUSTED',
    grpc: status.DATA_LOSS,
    meaning: 'An aggregate ciphertext has no noise budget left, so its decryption cannot be trusted.',
    fix: 'The round summed more than the parameters allow; choose parameters for more summands (maxSummands) and rerun.',
  },
  TOO_MANY_SUMMANDS: {
    code: 'COHORT_E_SECURE_AGG_TOO_MANY_SUMMANDS',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'Adding this chunk would sum more updates than the parameters were chosen for (maxSummands), which could wrap around.',
    fix: 'Raise maxSummands for the run (parameters are chosen at run creation) or admit fewer sites per round.',
  },
  VALUE_RANGE: {
    code: 'COHORT_E_SECURE_AGG_VALUE_RANGE',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'An update coordinate is outside the bound the parameters were chosen for (|delta| <= maxAbsValue), or the weight is not an integer in 0..maxWeight.',
    fix: 'Clip the update before encoding (clipToNorm) and check the run\'s maxAbsValue and maxWeight against the site\'s example count.',
  },
  AGGREGATE_INCONSISTENT: {
    code: 'COHORT_E_SECURE_AGG_AGGREGATE_INCONSISTENT',
    grpc: status.DATA_LOSS,
    meaning: 'The chunks of an aggregate disagree on how many updates they sum, so they were not summed over the same sites.',
    fix: 'The coordinator mixed chunks of different sums; rerun the round.',
  },
  KEY_CEREMONY: {
    code: 'COHORT_E_SECURE_AGG_KEY_CEREMONY',
    grpc: status.PERMISSION_DENIED,
    meaning:
      'A key-ceremony message failed its checks: an exchange key or sealed HE key that is malformed, signed by a certificate outside the consortium CA, sent by a site other than the key holder, addressed to another site, or modified in transit.',
    fix: 'Do not use the message. Re-run `cohort site key-ceremony` at the key holder; if it keeps failing, the coordinator is relaying something other than what the sites sent, which is a security incident.',
  },
  ANNOUNCEMENT_EXPIRED: {
    code: 'COHORT_E_SECURE_AGG_ANNOUNCEMENT_EXPIRED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A site\'s exchange-key announcement is past its expiresAt, so the key holder does not seal the HE key to it: the site has not re-announced since (it does on every connect and every 12 hours).',
    fix: 'Start (or restart) that site\'s agent so it announces a fresh exchange key, check its clock, then run `cohort site key-ceremony` again.',
  },
  ANNOUNCEMENT_FUTURE: {
    code: 'COHORT_E_SECURE_AGG_ANNOUNCEMENT_FUTURE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A site\'s exchange-key announcement is issued more than the allowed clock skew (5 minutes) in the future of the key holder\'s clock.',
    fix: 'Synchronize the clocks (NTP) of that site and of the key holder, restart the site\'s agent so it announces again, then rerun the ceremony.',
  },
  ANNOUNCEMENT_REPLAYED: {
    code: 'COHORT_E_SECURE_AGG_ANNOUNCEMENT_REPLAYED',
    grpc: status.PERMISSION_DENIED,
    meaning: 'A site\'s exchange-key announcement was issued before the newest announcement the key holder already accepted for that site (its roster), so it is an old message played back.',
    fix: 'Do not seal to it. Restart that site\'s agent so it announces again; if the site\'s clock was set back, correct it; if it keeps happening, the coordinator is replaying old messages, a security incident.',
  },
  ANNOUNCEMENT_LIFETIME: {
    code: 'COHORT_E_SECURE_AGG_ANNOUNCEMENT_LIFETIME',
    grpc: status.PERMISSION_DENIED,
    meaning: 'A site\'s exchange-key announcement claims a lifetime (expiresAt - issuedAt) longer than the 30 days the key holder allows, or not positive.',
    fix: 'Run a current site agent, which announces for 7 days; an announcement that lives longer could be replayed for too long.',
  },
  SITE_REVOKED: {
    code: 'COHORT_E_SECURE_AGG_SITE_REVOKED',
    grpc: status.PERMISSION_DENIED,
    meaning: 'The certificate that signed a site\'s exchange-key announcement is listed in the consortium CRL the key holder verified itself, so the HE key is not sealed to it.',
    fix: 'Nothing to do if the revocation is intended; a revoked site that needs the key again gets a new kit (`cohort provision add-site`) and is confirmed again at the key holder.',
  },
  CRL_INVALID: {
    code: 'COHORT_E_SECURE_AGG_CRL_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The key holder got no CRL, or one it cannot read, issued by another CA or whose signature the consortium CA (from the key holder\'s own kit) did not make; the ceremony does not seal without checking revocation.',
    fix: 'Ask the operator for the consortium\'s current crl.pem (`cohort provision crl --out <dir>` renews it) and pass it with `--crl <file>`, or fix the coordinator\'s kit so it serves it.',
  },
  CRL_STALE: {
    code: 'COHORT_E_SECURE_AGG_CRL_STALE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The CRL the key holder got is past its nextUpdate, has none, or is older (lower CRL number) than one the key holder already saw, so revocations issued since could be missing.',
    fix: 'Have the operator renew the CRL (`cohort provision crl --out <dir>`) and copy it into the coordinator\'s kit, or pass the current one with `--crl <file>`.',
  },
  CONFIRMATION_MISMATCH: {
    code: 'COHORT_E_SECURE_AGG_CONFIRMATION_MISMATCH',
    grpc: status.PERMISSION_DENIED,
    meaning: 'A fingerprint given with `cohort site key-ceremony --accept <site>=<fingerprint>` is not the exchange-key fingerprint that site announces now (or the site announces none), so nothing is sealed to it.',
    fix: 'Compare again, out of band, with what `cohort site fingerprint` prints at that site. If the site confirms the fingerprint you typed, the announcement you see is not the site\'s own: do not accept it.',
  },
  KEY_HOLDER_NOT_PINNED: {
    code: 'COHORT_E_SECURE_AGG_KEY_HOLDER_NOT_PINNED',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'This site\'s config has no `keyHolderKey` (the key holder\'s signing-key fingerprint, confirmed out of band), so it opens no sealed HE key: the operator runs the CA and can issue a certificate named like the key holder, so the name alone proves nothing.',
    fix: 'At the key holder, its IT runs `cohort site fingerprint --kit <kit> --config <site.yaml>` and reads `signingKeyFingerprint` out to this hospital\'s IT over a channel the coordinator does not carry (by phone); set it in this site\'s site.yaml as `keyHolderKey: SHA256:...` and restart the agent.',
  },
  KEY_HOLDER_MISMATCH: {
    code: 'COHORT_E_SECURE_AGG_KEY_HOLDER_MISMATCH',
    grpc: status.PERMISSION_DENIED,
    meaning:
      'A sealed HE key is signed under a certificate named like the key holder, issued by the consortium CA, but whose public key is not the one this site pinned (`keyHolderKey`): it was not made by the key holder this site confirmed. Nothing is opened or kept.',
    fix: 'Compare `keyHolderKey` again, out of band, with the `signingKeyFingerprint` that `cohort site fingerprint` prints at the key holder. If they agree, someone holding the CA (the operator) issued a certificate for the key holder\'s name: a security incident; do not change the pin.',
  },
  KEY_PUBLISHER_MISMATCH: {
    code: 'COHORT_E_SECURE_AGG_KEY_PUBLISHER_MISMATCH',
    grpc: status.PERMISSION_DENIED,
    meaning:
      'The coordinator refuses PublishSealedKeys for the consortium HE key from a certificate whose public key is not the one that first published that key, even if it carries the key holder\'s name.',
    fix: 'If the key holder renewed its certificate with a new key, renew it again with a request for its previous key (openssl with its existing key). Otherwise a certificate for the key holder\'s name was issued to someone else: a security incident.',
  },
  SEALED_KEY_EXISTS: {
    code: 'COHORT_E_SECURE_AGG_SEALED_KEY_EXISTS',
    grpc: status.ALREADY_EXISTS,
    meaning:
      'The coordinator already holds a different sealed copy of the HE key for this site and this exchange key (recipientKeySha256); it never replaces one. The same copy published again is accepted as is.',
    fix: 'Nothing to seal: the site opens the copy it has. A site whose exchange key changed announces the new one and is sealed to again under that key.',
  },
  ROSTER_MISSING: {
    code: 'COHORT_E_SECURE_AGG_ROSTER_MISSING',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The key holder holds the consortium HE key but its roster (`<dataDir>/he/roster.sealed`) is missing, so the ceremony does not run: an empty roster would also drop the CRL-number and replay floors it keeps.',
    fix: 'Restore `<dataDir>/he/roster.sealed` from backup. If it is lost for good, rerun `cohort site key-ceremony` with `--rebuild-roster` and confirm every member again with `--accept <site>=<fingerprint>` after comparing fingerprints out of band.',
  },
  MASKING: {
    code: 'COHORT_E_SECURE_AGG_MASKING',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'A pairwise-masking message (mask-key advertisement, sealed share or unmasking request) is malformed, for another consortium, run or round, or not signed under a valid certificate of the consortium CA for the site it names.',
    fix: 'The sender runs another round or was tampered with; the round goes on without it. If it persists, check that every agent runs the same Cohort version and the consortium CA.',
  },
  SHARE_CONFLICT: {
    code: 'COHORT_E_SECURE_AGG_SHARE_CONFLICT',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The unmasking request asks this site for a share of the self-mask seed of a site whose mask-key share it already released this round, or the reverse; releasing both would unmask that site\'s single update, so nothing was released.',
    fix: 'A coordinator that asks for both is faulty or malicious: the round cannot be unmasked through this site. Investigate the coordinator; start a new round.',
  },
  UNMASK_FAILED: {
    code: 'COHORT_E_SECURE_AGG_UNMASK_FAILED',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The released shares do not rebuild a site\'s self-mask seed or mask key (fewer than the threshold, or a share was altered): the rebuilt secret does not match what that site committed to in its signed advertisement.',
    fix: 'Wait for more survivors to release their shares; if at least the threshold did, one of them sent a wrong share and the round must be restarted.',
  },
  TOO_FEW_SURVIVORS: {
    code: 'COHORT_E_SECURE_AGG_TOO_FEW_SURVIVORS',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'Fewer sites survived the round than the Shamir threshold (or minSites), so the masks cannot be removed without exposing someone.',
    fix: 'The round fails; start a new one when enough sites are online, or lower the threshold for the next run (never below a majority of the cohort).',
  },
  RECEIPT_INVALID: {
    code: 'COHORT_E_SECURE_AGG_RECEIPT_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'A signed contribution receipt that came with the aggregate is malformed, for another consortium, run or round, signed under a certificate the consortium CA did not issue or revoked, or its signature does not verify.',
    fix: 'The coordinator sent an aggregate this site cannot trust; it is not used. Rerun the round and investigate the coordinator if it repeats.',
  },
  RECEIPT_DUPLICATE: {
    code: 'COHORT_E_SECURE_AGG_RECEIPT_DUPLICATE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The aggregate comes with two receipts of the same site or of the same upload, so it would count one contribution more than once.',
    fix: 'The coordinator counted a contribution twice; the aggregate is not used. Rerun the round and investigate the coordinator.',
  },
  SUM_UNVERIFIED: {
    code: 'COHORT_E_SECURE_AGG_SUM_UNVERIFIED',
    grpc: status.DATA_LOSS,
    meaning:
      'The decrypted aggregate does not hold exactly one contribution per signed receipt in its check slots (a mask was left in, a site was counted twice or left out), so it is not the sum of the receipted uploads.',
    fix: 'The aggregate is not used. Rerun the round; if it repeats, the coordinator is tampering with the sum.',
  },
  NO_KEY: {
    code: 'COHORT_E_SECURE_AGG_NO_KEY',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'An encrypted run needs the consortium HE key, and it does not exist yet (coordinator) or this site has not received it (site).',
    fix: 'At the key-holder site run `cohort site key-ceremony --config <site.yaml>` (again after adding sites); sites pick their sealed key up on their next run offer.',
  },
  UNMASK_UNSIGNED: {
    code: 'COHORT_E_SECURE_AGG_UNMASK_UNSIGNED',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The unmask request (survivors and dropped sites of a masked round) is not signed by the coordinator of this consortium: no signature, a signer certificate the consortium CA did not issue, that is not a coordinator certificate, is revoked or expired, or a signature that does not verify over the request as sent (it was altered).',
    fix: 'The site released nothing. An unsigned or altered request is a coordinator fault or attack; check that the coordinator runs the same Cohort version and its kit, and investigate if it repeats.',
  },
  UNMASK_EQUIVOCATION: {
    code: 'COHORT_E_SECURE_AGG_UNMASK_EQUIVOCATION',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The coordinator signed two different unmask requests (survivor sets) for one round: this site holds the first in its run state and refused the second. The two signed requests are proof that the coordinator equivocated.',
    fix: 'Nothing more was released. Keep the site\'s run state: it holds both signed requests. Investigate the coordinator before the consortium runs again.',
  },
  CONTRIBUTION_REFUSED: {
    code: 'COHORT_E_SECURE_AGG_CONTRIBUTION_REFUSED',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'The coordinator refused a site\'s masked-round message at arrival: its signed mask-key advertisement or its upload\'s contribution receipt is not signed under a valid consortium certificate of that site, is for another round, or does not verify. The refusal is recorded as that site\'s failure in the round.',
    fix: 'The round goes on without the site (if enough others remain). Check that the site runs the same Cohort version and holds a valid certificate; a forged or altered message is an attack on the round.',
  },
});
