/**
 * The site's at-rest key, as every command and the agent load it: from the plain key file,
 * or, when the site config has `keyStore.pkcs11`, unwrapped by the HSM key it names. The
 * token is opened only when the key file has to be wrapped or unwrapped, and closed again
 * before this returns.
 */
import { loadKeyFile, type KeyWrapper } from '../core/crypto/at-rest.ts';
import { Pkcs11WrappingKey } from '../core/pki/pkcs11.ts';
import type { SiteConfig } from './site-config.ts';

/**
 * Loads the at-rest key of `config`; with `create` (`cohort site init`), makes it when the
 * key file is missing: a fresh key from node:crypto, wrapped by the token key (itself made
 * inside the token when absent) if keyStore is set. An existing wrapped file is only ever
 * unwrapped: no token key is created for it.
 */
export function loadSiteKey(config: Pick<SiteConfig, 'keyFile' | 'keyStore'>, options: { create?: boolean } = {}): Buffer {
  const create = options.create === true;
  const pkcs11 = config.keyStore?.pkcs11;
  if (pkcs11 === undefined) return loadKeyFile(config.keyFile, { create });
  let token: Pkcs11WrappingKey | undefined;
  const wrapper: KeyWrapper = {
    wrap: (dataKey) => (token ??= Pkcs11WrappingKey.open(pkcs11, { create })).wrap(dataKey),
    unwrap: (wrapped) => (token ??= Pkcs11WrappingKey.open(pkcs11, { create: false })).unwrap(wrapped),
  };
  try {
    return loadKeyFile(config.keyFile, { create, wrapper });
  } finally {
    token?.close();
  }
}
