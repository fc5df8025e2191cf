/**
 * `cohort provision`: the consortium operator creates the consortium CA, signs the
 * participants' own certificate requests, adds participants later, and revokes them.
 * `cohort enroll`: a participant makes its key and request where the key will be used.
 *
 *   cohort enroll --name <name> --out <dir>
 *   cohort provision init <consortium.yaml> --out <dir> (--ca-passphrase-file <f> | --hsm <pkcs11.yaml>) [--force]
 *   cohort provision sign <request.csr> --out <dir> (--ca-passphrase-file <f> | --hsm <pkcs11.yaml>)
 *   cohort provision add-site <name> --out <dir>
 *   cohort provision add-user <name> --role <role> --out <dir>
 *   cohort provision revoke <name> --out <dir> [--reason <reason>] (--ca-passphrase-file | --hsm)
 *   cohort provision crl --out <dir> (--ca-passphrase-file | --hsm)
 *   cohort provision agreement <name> --kind BAA|DUA --reference <ref> --signed-on <date> --expires <date> --out <dir>
 */
import type { Command } from 'commander';
import { relative } from 'node:path';
import { addSite, addUser, enroll, initProvisioner, recordAgreement, renewCrl, revoke, signRequest, REVOCATION_REASONS, USER_ROLES, type CaKeyAccess } from '../../core/pki/index.ts';
import { loadPkcs11ConfigFile } from '../../core/pki/pkcs11.ts';
import { loadConsortiumFile } from '../../core/config/consortium.ts';
import { CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { runCommand as run } from '../output.ts';

interface OutOptions {
  out: string;
  json?: boolean;
}

interface CaKeyFlags {
  caPassphraseFile?: string;
  hsm?: string;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** The CA key access the flags give; both at once is a usage error. */
export function caKeyAccess(flags: CaKeyFlags): CaKeyAccess | undefined {
  if (flags.caPassphraseFile !== undefined && flags.hsm !== undefined) {
    throw new CohortError(GeneralErrors.USAGE, 'give either --ca-passphrase-file or --hsm, not both', { details: { options: ['--ca-passphrase-file', '--hsm'] } });
  }
  if (flags.caPassphraseFile !== undefined) return { passphraseFile: flags.caPassphraseFile };
  if (flags.hsm !== undefined) return { pkcs11: loadPkcs11ConfigFile(flags.hsm) };
  return undefined;
}

function withCaKeyOptions(cmd: Command): Command {
  return cmd
    .option('--ca-passphrase-file <file>', 'owner-only file holding the passphrase of the encrypted CA key (never an environment variable)')
    .option('--hsm <pkcs11.yaml>', 'the CA key is in a PKCS#11 token: module, tokenLabel or slot, pinFile, keyLabel (docs/consortium-file.md)');
}

/** Registers `cohort enroll`, `cohort provision` and its subcommands on `program`. */
export function registerProvisionCommands(program: Command): void {
  program
    .command('enroll')
    .description('any participant: make your own key (0600) and a certificate request for the operator to sign')
    .requiredOption('--name <name>', 'your participant name, as the consortium file spells it')
    .requiredOption('--out <dir>', 'your kit directory: <name>.key stays here; send only <name>.csr to the operator')
    .option('--json', 'print one JSON object')
    .action(async (opts: OutOptions & { name: string }) => {
      await run(
        opts.json,
        () => enroll(opts.name, opts.out),
        (r) =>
          `key ${shown(r.keyFile)} (mode 600, stays here)\nrequest ${shown(r.requestFile)}: send it to the consortium operator\n` +
          `public key SHA-256 ${r.publicKeySha256} (compare it with the operator's when the certificate comes back)\n` +
          `then copy the returned <name>.crt, ca.crt and kit.yaml into ${shown(opts.out)}\n`,
      );
    });

  const provision = program
    .command('provision')
    .description('operator: create the consortium CA, sign participants\' requests, add and revoke participants')
    // Options belong to the subcommands only, so that `provision <file> --out x` reaches
    // the default subcommand `init` with its --out intact.
    .usage('<consortium.yaml> --out <dir> --ca-passphrase-file <file> | <command> ...');

  withCaKeyOptions(
    provision
      .command('init', { isDefault: true })
      .description('create the consortium CA from the consortium file (the default: `cohort provision <file> --out <dir> ...`)')
      .argument('<consortium.yaml>', 'the consortium file (see docs/consortium-file.md)')
      .requiredOption('--out <dir>', 'provisioner directory: .provisioner/ (CA, CRL, state) and, as requests are signed, one kit directory per participant')
      .option('--force', 'replace a consortium already provisioned in --out (new CA; every participant needs a new certificate)')
      .option('--json', 'print one JSON object'),
  ).action(async (file: string, opts: OutOptions & CaKeyFlags & { force?: boolean }) => {
    await run(
      opts.json,
      async () => {
        const r = await initProvisioner(file, opts.out, { force: opts.force === true, caKey: caKeyAccess(opts) });
        // requireAgreements defaults on only with version 2: a new file without it silently requires no agreement.
        const c = loadConsortiumFile(file);
        if (c.version === undefined && c.requireAgreements === undefined) {
          process.stderr.write(`warning: ${file} has no version: it is read as version 1, written before agreements existed, and requires none; write \`version: 2\` in a new consortium file (docs/consortium-file.md#agreements)\n`);
        }
        return r;
      },
      (r) =>
        `created the CA of consortium ${r.consortium} in ${r.outDir} (CA key: ${r.caKeyStore === 'pkcs11' ? 'in the HSM' : 'encrypted under the passphrase'})\n` +
        `participants to enrol (each runs \`cohort enroll --name <name> --out <dir>\` and sends you <name>.csr):\n` +
        `${r.participants.map((p) => `  ${p.name.padEnd(24)} ${p.role}`).join('\n')}\n`,
    );
  });

  withCaKeyOptions(
    provision
      .command('sign')
      .description("sign a participant's certificate request; the role comes from the consortium file, never from the request")
      .argument('<request.csr>', 'the PKCS#10 request the participant sent (from `cohort enroll` or openssl req)')
      .requiredOption('--out <dir>', 'the directory `cohort provision init` wrote')
      .option('--json', 'print one JSON object'),
  ).action(async (csr: string, opts: OutOptions & CaKeyFlags) => {
    await run(
      opts.json,
      () => signRequest(opts.out, csr, { caKey: caKeyAccess(opts) }),
      (r) =>
        `${r.renewed ? 'renewed' : 'signed'} ${r.role} ${r.name}: serial ${r.serial}, valid until ${r.notAfter}\n` +
        `public key SHA-256 ${r.publicKeySha256}\n` +
        `give ${r.name} the files in ${shown(r.dir)} (certificate, ca.crt, kit.yaml; no key) to put beside its key\n`,
    );
  });

  provision
    .command('add-site')
    .description('add a site to the consortium; it enrols and you sign its request. Existing kits are not touched')
    .argument('<name>', 'the new site name (lowercase, a-z 0-9 -)')
    .requiredOption('--out <dir>', 'the directory `cohort provision init` wrote')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: OutOptions) => {
      await run(opts.json, () => addSite(opts.out, name), (k) => `added site ${k.name}: sign its request with \`cohort provision sign ${k.name}.csr --out ${opts.out}\`\n`);
    });

  provision
    .command('add-user')
    .description('add a person to the consortium; they enrol and you sign their request')
    .argument('<name>', 'the new user name (lowercase, a-z 0-9 -)')
    .requiredOption('--role <role>', `one of ${USER_ROLES.join(', ')}`)
    .requiredOption('--out <dir>', 'the directory `cohort provision init` wrote')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: OutOptions & { role: string }) => {
      await run(opts.json, () => addUser(opts.out, name, opts.role), (k) => `added ${k.role} ${k.name}: sign their request with \`cohort provision sign ${k.name}.csr --out ${opts.out}\`\n`);
    });

  provision
    .command('agreement')
    .description('record the agreement (BAA or DUA) that covers a site or person; audited, and copied into the coordinator kit\'s agreements.json')
    .argument('<name>', 'the site or person the agreement covers')
    .requiredOption('--kind <kind>', 'BAA (business associate agreement) or DUA (data use agreement)')
    .requiredOption('--reference <ref>', 'the agreement\'s reference (letters, digits, . _ : / -)')
    .requiredOption('--signed-on <date>', 'the day it was signed (YYYY-MM-DD)')
    .requiredOption('--expires <date>', 'the last day it is in force (YYYY-MM-DD)')
    .requiredOption('--out <dir>', 'the directory `cohort provision init` wrote')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: OutOptions & { kind: string; reference: string; signedOn: string; expires: string }) => {
      await run(
        opts.json,
        () => recordAgreement(opts.out, name, { kind: opts.kind, reference: opts.reference, signedOn: opts.signedOn, expires: opts.expires }),
        (r) =>
          `recorded ${r.agreement.kind} ${r.agreement.reference} for ${r.role} ${r.name}: in force ${r.agreement.signedOn} through ${r.agreement.expires}\n` +
          (r.agreementsFile === null ? '' : `agreements rewritten: ${shown(r.agreementsFile)} (copy it into the coordinator's kit directory)\n`),
      );
    });

  withCaKeyOptions(
    provision
      .command('revoke')
      .description("revoke a participant's certificates and rewrite the CRL (provisioner state and coordinator kit)")
      .argument('<name>', 'the participant to revoke')
      .requiredOption('--out <dir>', 'the directory `cohort provision init` wrote')
      .option('--reason <reason>', `one of ${REVOCATION_REASONS.join(', ')}`, 'unspecified')
      .option('--json', 'print one JSON object'),
  ).action(async (name: string, opts: OutOptions & CaKeyFlags & { reason: string }) => {
    await run(
      opts.json,
      () => revoke(opts.out, name, { reason: opts.reason, caKey: caKeyAccess(opts) }),
      (r) =>
        `revoked ${r.role} ${r.name} (serial ${r.serial}, reason ${r.reason})\n` +
        `CRL rewritten:\n${r.crlFiles.map((f) => `  ${f}`).join('\n')}\n` +
        `copy crl.pem into the coordinator's kit directory: a coordinator watching its crl.pem refuses ${r.name} from then on\n`,
    );
  });

  withCaKeyOptions(
    provision
      .command('crl')
      .description('sign a fresh CRL (same revocations, new nextUpdate); run it before the current one expires')
      .requiredOption('--out <dir>', 'the directory `cohort provision init` wrote')
      .option('--json', 'print one JSON object'),
  ).action(async (opts: OutOptions & CaKeyFlags) => {
    await run(
      opts.json,
      () => renewCrl(opts.out, { caKey: caKeyAccess(opts) }),
      (r) => `CRL renewed until ${r.nextUpdate} (${r.revokedSerials.length} revoked):\n${r.crlFiles.map((f) => `  ${f}`).join('\n')}\n`,
    );
  });
}
