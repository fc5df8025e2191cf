/**
 * The one entry point to @peculiar/x509: loads the Reflect metadata polyfill (the maintained reflect-metadata package) it needs
 * before loading it, and points it at Node's WebCrypto so that every key operation is
 * done by node:crypto.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

/** Node's WebCrypto, typed as the DOM `Crypto` that @peculiar/x509 expects. */
export const crypto = webcrypto as unknown as Crypto;

/** ECDSA over P-256 with SHA-256: the only algorithm Cohort's PKI issues. */
export const KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
