import { Command } from 'commander';
import { expect, vi } from 'vitest';

/** What one in-process `cohort` invocation printed, and the exit status it set. */
export interface CliResult {
  readonly out: string;
  readonly err: string;
  readonly exitCode: number;
}

/**
 * Runs `cohort <args>` in-process against a fresh program carrying only the commands
 * `register` adds; captures stdout and stderr and restores process.exitCode afterwards.
 */
export async function runCli(register: (program: Command) => void, args: string[]): Promise<CliResult> {
  const program = new Command('cohort').exitOverride();
  register(program);
  let out = '';
  let err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const saved = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out, err, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = saved;
    so.mockRestore();
    se.mockRestore();
  }
}

/** Runs a `--json` invocation that must succeed: exit 0, nothing on stderr, one line on stdout; returns it parsed. */
export async function runCliJson(register: (program: Command) => void, args: string[]): Promise<unknown> {
  const { out, err, exitCode } = await runCli(register, args);
  expect(exitCode).toBe(0);
  expect(err).toBe('');
  expect(out.trim().split('\n')).toHaveLength(1);
  return JSON.parse(out);
}
