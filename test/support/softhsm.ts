/**
 * Test helper: a private SoftHSM2 for one test file. Its own token directory and
 * softhsm2.conf under a temporary directory, SOFTHSM2_CONF pointed at it (the module reads it
 * at C_Initialize, so set up before any key is opened), and tokens made with softhsm2-util.
 * Every test file gets its own, so files running in parallel never share a token.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pkcs11Config } from '../../core/pki/pkcs11.ts';

const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

/** The SoftHSM2 PKCS#11 module on this machine; throws with how to install it when there is none. */
export function softHsmModule(): string {
  const found = MODULE_CANDIDATES.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(`SoftHSM2 is not installed (looked for ${MODULE_CANDIDATES.join(', ')}): apt-get install softhsm2 (.ci/run installs it)`);
  }
  return found;
}

export interface SoftHsmToken {
  readonly label: string;
  /** The slot ID SoftHSM2 gave the token (CK_SLOT_ID). */
  readonly slot: number;
  readonly pin: string;
  /** Owner-only file holding the PIN. */
  readonly pinFile: string;
  /** A PKCS#11 config for a key labelled `keyLabel` in this token. */
  config(keyLabel: string): Pkcs11Config;
}

export interface SoftHsm {
  readonly dir: string;
  readonly module: string;
  /** Initialises a fresh token in a free slot. */
  initToken(label: string, pin?: string): SoftHsmToken;
  /** Removes the token directory (close every key first). */
  cleanup(): void;
}

/** Makes the SoftHSM2 of this test file and points SOFTHSM2_CONF at it. */
export function setupSoftHsm(prefix = 'cohort-softhsm-'): SoftHsm {
  const module = softHsmModule();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  return {
    dir,
    module,
    initToken(label: string, pin = '246813579'): SoftHsmToken {
      const out = execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '97531864', '--pin', pin], {
        env: { ...process.env, SOFTHSM2_CONF: conf },
        stdio: 'pipe',
        encoding: 'utf8',
      });
      const slot = /reassigned to slot (\d+)/.exec(out)?.[1];
      if (slot === undefined) throw new Error(`softhsm2-util did not say which slot token ${label} is in: ${out}`);
      const pinFile = join(dir, `${label}.pin`);
      writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
      return { label, slot: Number(slot), pin, pinFile, config: (keyLabel) => ({ module, tokenLabel: label, pinFile, keyLabel }) };
    },
    cleanup(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
