/**
 * `cohort provision`: the consortium operator creates the consortium CA and one
 * credentials kit per participant, adds participants later, and revokes them.
 *
 *   cohort provision <consortium.yaml> --out <dir> [--force]   (same as `provision init`)
 *   cohort provision add-site <name> --out <dir>
 *   cohort provision add-user <name> --role <role> --out <dir>
 *   cohort provision revoke <name> --out <dir> [--reason <reason>]
 *   cohort provision crl --out <dir>
 */
import type { Command } from 'commander';
import { relative } from 'node:path';
import {
  addSite,
  addUser,
  provisionConsortium,
  renewCrl,
  revoke,
  REVOCATION_REASONS,
  USER_ROLES,
  type KitSummary,
} from '../../core/pki/index.ts';
import { runCommand as run } from '../output.ts';

interface OutOptions {
  out: string;
  json?: boolean;
}

function kitLine(kit: KitSummary): string {
  const rel = relative(process.cwd(), kit.dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? kit.dir : rel;
  return `  ${kit.name.padEnd(24)} ${kit.role.padEnd(15)} ${shown}`;
}

/** Registers `cohort provision` and its subcommands on `program`. */
export function registerProvisionCommands(program: Command): void {
  const provision = program
    .command('provision')
    .description('operator: create the consortium CA and credentials kits, add and revoke participants')
    // Options belong to the subcommands only, so that `provision <file> --out x` reaches
    // the default subcommand `init` with its --out intact.
    .usage('<consortium.yaml> --out <dir> [--force] | <command> ...');

  provision
    .command('init', { isDefault: true })
    .description('provision a consortium from its consortium file (the default: `cohort provision <file> --out <dir>`)')
    .argument('<consortium.yaml>', 'the consortium file (see docs/consortium-file.md)')
    .requiredOption('--out <dir>', 'output directory: .provisioner/ state and one kit directory per participant')
    .option('--force', 'replace a consortium already provisioned in --out (new CA; every participant needs its new kit)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: OutOptions & { force?: boolean }) => {
      await run(
        opts.json,
        () => provisionConsortium(file, opts.out, { force: opts.force === true }),
        (r) =>
          `provisioned consortium ${r.consortium} in ${r.outDir}\n` +
          `kits written (give each participant its own directory; keep .provisioner/ offline and backed up):\n` +
          `${r.kits.map(kitLine).join('\n')}\n`,
      );
    });

  provision
    .command('add-site')
    .description('issue a kit for a new site; existing kits are not touched')
    .argument('<name>', 'the new site name (lowercase, a-z 0-9 -)')
    .requiredOption('--out <dir>', 'the directory `cohort provision` wrote')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: OutOptions) => {
      await run(opts.json, () => addSite(opts.out, name), (k) => `kit written:\n${kitLine(k)}\n`);
    });

  provision
    .command('add-user')
    .description('issue a kit for a new person')
    .argument('<name>', 'the new user name (lowercase, a-z 0-9 -)')
    .requiredOption('--role <role>', `one of ${USER_ROLES.join(', ')}`)
    .requiredOption('--out <dir>', 'the directory `cohort provision` wrote')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: OutOptions & { role: string }) => {
      await run(opts.json, () => addUser(opts.out, name, opts.role), (k) => `kit written:\n${kitLine(k)}\n`);
    });

  provision
    .command('revoke')
    .description("revoke a participant's certificate and rewrite the CRL (provisioner state and coordinator kit)")
    .argument('<name>', 'the participant to revoke')
    .requiredOption('--out <dir>', 'the directory `cohort provision` wrote')
    .option('--reason <reason>', `one of ${REVOCATION_REASONS.join(', ')}`, 'unspecified')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: OutOptions & { reason: string }) => {
      await run(
        opts.json,
        () => revoke(opts.out, name, { reason: opts.reason }),
        (r) =>
          `revoked ${r.role} ${r.name} (serial ${r.serial}, reason ${r.reason})\n` +
          `CRL rewritten:\n${r.crlFiles.map((f) => `  ${f}`).join('\n')}\n` +
          `a coordinator watching its crl.pem refuses ${r.name} from now on; copy crl.pem to the coordinator if it runs elsewhere\n`,
      );
    });

  provision
    .command('crl')
    .description('sign a fresh CRL (same revocations, new nextUpdate); run it before the current one expires')
    .requiredOption('--out <dir>', 'the directory `cohort provision` wrote')
    .option('--json', 'print one JSON object')
    .action(async (opts: OutOptions) => {
      await run(
        opts.json,
        () => renewCrl(opts.out),
        (r) => `CRL renewed until ${r.nextUpdate} (${r.revokedSerials.length} revoked):\n${r.crlFiles.map((f) => `  ${f}`).join('\n')}\n`,
      );
    });
}
