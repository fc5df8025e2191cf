/** The consortium PKI: CA, provisioning, kits, CRL, and identities read from certificates. */
export { createCaCertificate, issueCertificate, loadCa, readCertificateRequest, type CertificateAuthority, type Participant } from './ca.ts';
export { type CaKeyAccess } from './ca-key.ts';
export { enroll, type EnrollResult } from './enroll.ts';
export { createCrl, readCrl, verifyCrl, REVOCATION_REASONS } from './crl.ts';
export { identityFromCertificate, normalizeSerial } from './identity.ts';
export { loadKit, assertOwnerOnly, type Kit } from './kit.ts';
export { addSite, addUser, initProvisioner, recordAgreement, renewCrl, revoke, signRequest, type AgreementResult, type AddResult, type KitSummary, type ProvisionResult, type SignResult } from './provisioner.ts';
export { USER_ROLES } from './roles.ts';
export { readState } from './state.ts';
