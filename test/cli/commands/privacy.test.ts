import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerPrivacyCommands } from '../../../cli/commands/privacy.ts';
import { computeEpsilon, noiseForTargetEpsilon } from '../../../core/privacy/index.ts';

/** Runs `cohort <args>` against a fresh program; returns what it printed and the exit status it set. */
async function run(args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  const program = new Command().exitOverride();
  registerPrivacyCommands(program);
  let out = '';
  let err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out, err, exitCode };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('cohort privacy epsilon', () => {
  it('prints one JSON object with the epsilon and best order of the accountant', async () => {
    const { out, exitCode } = await run([
      'privacy', 'epsilon', '--sampling-rate', '0.04', '--noise-multiplier', '1.5', '--steps', '2250', '--delta', '1e-5', '--json',
    ]);
    expect(exitCode).toBe(0);
    const expected = computeEpsilon({ q: 0.04, sigma: 1.5, steps: 2250, delta: 1e-5 });
    expect(JSON.parse(out)).toEqual({
      epsilon: expected.epsilon,
      order: 3.9,
      delta: 1e-5,
      samplingRate: 0.04,
      noiseMultiplier: 1.5,
      steps: 2250,
    });
    expect(out.trim().split('\n')).toHaveLength(1);
  });

  it('prints a readable line without --json', async () => {
    const { out, exitCode } = await run([
      'privacy', 'epsilon', '--sampling-rate', '0.04', '--noise-multiplier', '1.5', '--steps', '2250', '--delta', '1e-5',
    ]);
    expect(exitCode).toBe(0);
    expect(out).toBe(
      'epsilon 7.329335 at delta 0.00001 (best RDP order 3.9; sampling rate 0.04, noise multiplier 1.5, 2250 steps)\n',
    );
  });

  it('writes an unbounded epsilon (no noise) as null in JSON', async () => {
    const { out } = await run(['privacy', 'epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '0', '--steps', '1', '--delta', '1e-5', '--json']);
    expect(JSON.parse(out).epsilon).toBeNull();
  });

  it.each([
    [['--sampling-rate', '1.5'], 'error COHORT_E_PRIVACY_INVALID_ARGUMENT: --sampling-rate: expected a number in [0, 1], got 1.5\n'],
    [['--sampling-rate', 'abc'], 'error COHORT_E_PRIVACY_INVALID_ARGUMENT: --sampling-rate: expected a decimal number, got "abc"\n'],
    [['--noise-multiplier', '-2'], 'error COHORT_E_PRIVACY_INVALID_ARGUMENT: --noise-multiplier: expected a finite number >= 0, got -2\n'],
    [['--steps', '10.5'], 'error COHORT_E_PRIVACY_INVALID_ARGUMENT: --steps: expected a non-negative integer, got 10.5\n'],
    [['--delta', '0'], 'error COHORT_E_PRIVACY_INVALID_ARGUMENT: --delta: expected a number in (0, 1), got 0\n'],
  ])('rejects %j with a coded error and exit status 2', async (override, message) => {
    const flags: Record<string, string> = { '--sampling-rate': '0.01', '--noise-multiplier': '1', '--steps': '100', '--delta': '1e-5' };
    flags[override[0]!] = override[1]!;
    const { out, err, exitCode } = await run(['privacy', 'epsilon', ...Object.entries(flags).flat()]);
    expect(exitCode).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(message);
  });

  it('reports a missing flag as a usage error, as JSON on stderr with --json', async () => {
    const { err, exitCode } = await run(['privacy', 'epsilon', '--sampling-rate', '0.01', '--noise-multiplier', '1', '--steps', '100', '--json']);
    expect(exitCode).toBe(2);
    expect(JSON.parse(err)).toEqual({ error: { code: 'COHORT_E_GENERAL_USAGE', message: '--delta is required', details: { flag: '--delta' } } });
  });
});

describe('cohort privacy noise', () => {
  it('prints the smallest noise multiplier meeting the target as JSON', async () => {
    const { out, exitCode } = await run([
      'privacy', 'noise', '--target-epsilon', '8', '--sampling-rate', '0.04', '--steps', '2250', '--delta', '1e-5', '--json',
    ]);
    expect(exitCode).toBe(0);
    const expected = noiseForTargetEpsilon({ targetEpsilon: 8, q: 0.04, steps: 2250, delta: 1e-5 });
    expect(JSON.parse(out)).toEqual({
      noiseMultiplier: expected.noiseMultiplier,
      epsilon: expected.epsilon,
      order: expected.order,
      targetEpsilon: 8,
      delta: 1e-5,
      samplingRate: 0.04,
      steps: 2250,
    });
    expect(expected.epsilon).toBeLessThanOrEqual(8);
  });

  it('exits 1 with COHORT_E_PRIVACY_TARGET_UNREACHABLE when no noise up to 1e4 suffices', async () => {
    const { out, err, exitCode } = await run([
      'privacy', 'noise', '--target-epsilon', '0.1', '--sampling-rate', '1', '--steps', '10000000', '--delta', '1e-5',
    ]);
    expect(exitCode).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^error COHORT_E_PRIVACY_TARGET_UNREACHABLE: targetEpsilon: 0.1 cannot be met/);
  });

  it('rejects a non-numeric target with exit status 2', async () => {
    const { err, exitCode } = await run(['privacy', 'noise', '--target-epsilon', '1e', '--sampling-rate', '0.1', '--steps', '10', '--delta', '1e-5']);
    expect(exitCode).toBe(2);
    expect(err).toBe('error COHORT_E_PRIVACY_INVALID_ARGUMENT: --target-epsilon: expected a decimal number, got "1e"\n');
  });
});
