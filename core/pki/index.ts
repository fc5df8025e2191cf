/** The consortium PKI: CA, provisioning, kits, CRL, and identities read from certificates. */
export { createCa, issueCertificate, loadCa, type CertificateAuthority, type Participant } from './ca.ts';
export { createCrl, readCrl, verifyCrl, REVOCATION_REASONS } from './crl.ts';
export { identityFromCertificate, normalizeSerial } from './identity.ts';
export { loadKit, assertOwnerOnly, type Kit } from './kit.ts';
export { addSite, addUser, provisionConsortium, renewCrl, revoke, type KitSummary, type ProvisionResult } from './provisioner.ts';
export { USER_ROLES } from './roles.ts';
export { readState } from './state.ts';
