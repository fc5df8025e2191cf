/**
 * `cohort site key-ceremony` (key holder only) and `cohort site fingerprint` (every site):
 * the key holder seals the consortium HE key only to sites on its roster; a new site, or one
 * whose certificate or exchange key changed, waits until the key holder's IT confirms the
 * fingerprint that site prints, compared out of band (`--accept`, or the prompt on a terminal).
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { AwaitingConfirmation } from '../../core/secure-agg/roster.ts';
import { runCommand } from '../output.ts';

const REASONS: Record<AwaitingConfirmation['reason'], string> = {
  new: 'a site this key holder has not confirmed before',
  'certificate-changed': 'its certificate changed since it was confirmed',
  'exchange-key-changed': 'its exchange key changed since it was confirmed',
  'certificate-and-exchange-key-changed': 'its certificate and its exchange key changed since it was confirmed',
};

/** Asks on the terminal, as SSH asks about a new host key; only "yes" confirms. */
async function promptConfirm(c: AwaitingConfirmation): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    process.stdout.write(
      [
        `Site "${c.site}" wants the consortium HE key: ${REASONS[c.reason]}.`,
        `  certificate fingerprint:  ${c.certificateFingerprint}`,
        `  exchange-key fingerprint: ${c.exchangeKeyFingerprint}`,
        `Compare them with what \`cohort site fingerprint\` prints at ${c.site}, over a channel other than the coordinator (by phone).`,
        '',
      ].join('\n'),
    );
    const answer = await rl.question(`Type yes to add ${c.site} to the roster and seal the key to it: `);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function siteKeyCeremonyCommand(): Command {
  return new Command('key-ceremony')
    .description('key holder only: create the consortium HE key (first time) and seal it to every confirmed site that has connected since')
    .requiredOption('--kit <dir>', 'the key-holder site kit')
    .requiredOption('--config <site.yaml>', 'the key-holder site config')
    .option('--address <host:port>', 'coordinator address (default: from the kit)')
    .option('--accept <site=fingerprint>', 'confirm a site whose exchange-key fingerprint (from `cohort site fingerprint` there) you compared out of band; repeatable', collect, [])
    .option('--crl <file>', 'check revocation against this CRL (crl.pem from the operator) instead of the one the coordinator serves')
    .option('--rebuild-roster', 'the roster (<dataDir>/he/roster.sealed) is lost for good and cannot be restored from backup: start an empty one; every member must be confirmed again with --accept')
    .option('--json', 'print the result as JSON (never prompts)')
    .action(async (opts: { kit: string; config: string; address?: string; accept: string[]; crl?: string; rebuildRoster?: boolean; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const { keyHolderCeremony, parseAccepts } = await import('../../site-agent/key-custody.ts');
          const interactive = opts.json !== true && process.stdin.isTTY === true && process.stdout.isTTY === true;
          return keyHolderCeremony(resolve(opts.kit), resolve(opts.config), {
            accept: parseAccepts(opts.accept),
            ...(opts.address === undefined ? {} : { address: opts.address }),
            ...(opts.crl === undefined ? {} : { crlFile: resolve(opts.crl) }),
            ...(opts.rebuildRoster === true ? { rebuildRoster: true } : {}),
            ...(interactive ? { confirm: promptConfirm } : {}),
          });
        },
        (r) =>
          [
            `HE key ${r.keyId}${r.generated ? ' generated' : ''} (N=${r.params.polyModulusDegree}, q ${r.params.coeffModulusBits.join('+')} bits, t=${r.params.plainModulus})`,
            `sealed for: ${r.sealedFor.join(', ') || '(no new site)'}`,
            `already sealed: ${r.alreadySealed.join(', ') || '(none)'}`,
            ...(r.confirmed.length > 0 ? [`confirmed now: ${r.confirmed.join(', ')}`] : []),
            ...r.refused.map((x) => `REFUSED ${x.site}: ${x.code}: ${x.message}`),
            ...r.awaitingConfirmation.map(
              (x) =>
                `AWAITING CONFIRMATION ${x.site} (${x.reason}): certificate ${x.certificateFingerprint}, exchange key ${x.exchangeKeyFingerprint}; ` +
                `compare with \`cohort site fingerprint\` at ${x.site}, then rerun with --accept ${x.site}=<its exchange-key fingerprint>`,
            ),
            '',
          ].join('\n'),
      );
    });
}

export function siteFingerprintCommand(): Command {
  return new Command('fingerprint')
    .description("print this site's certificate, signing-key and exchange-key fingerprints, for the key holder's IT (or, at the key holder, the other sites' IT) to compare out of band")
    .requiredOption('--kit <dir>', 'the site kit')
    .requiredOption('--config <site.yaml>', 'the site config')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { kit: string; config: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const { siteFingerprints } = await import('../../site-agent/key-custody.ts');
          return siteFingerprints(resolve(opts.kit), resolve(opts.config));
        },
        (r) =>
          [
            `site ${r.site}`,
            `certificate fingerprint:  ${r.certificateFingerprint}`,
            `signing-key fingerprint:  ${r.signingKeyFingerprint}`,
            `exchange-key fingerprint: ${r.exchangeKeyFingerprint}${r.exchangeKeyCreated ? ' (created now; the agent announces it when it next connects)' : ''}`,
            `The key holder's IT confirms this site with: cohort site key-ceremony ... --accept ${r.site}=${r.exchangeKeyFingerprint}`,
            `If this site is the key holder, every other site pins it with: keyHolderKey: ${r.signingKeyFingerprint} (in its site.yaml)`,
            '',
          ].join('\n'),
      );
    });
}
