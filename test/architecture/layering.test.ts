/**
 * The dependency direction of ARCHITECTURE.md holds: dependency-cruiser, with the project's
 * own rule set (.dependency-cruiser.cjs, also run as `npm run deps:check`), finds no cycle and
 * no import against the layering. A control tree written to a temporary directory shows that
 * the same rules catch a cycle (one side of it type-only), core importing the coordinator, and the site agent importing
 * the coordinator (the import this project had in site-agent/simulation/).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;
const LAYERS = ['core', 'models', 'coordinator', 'site-agent', 'cli', 'protos', 'scripts', 'test'];

async function violations(baseDir: string, dirs: readonly string[]): Promise<string[]> {
  const cwd = process.cwd();
  process.chdir(baseDir);
  try {
    const result = await cruise([...dirs], { ...config.options, tsConfig: { fileName: join(ROOT, 'tsconfig.json') }, ruleSet: { forbidden: config.forbidden }, validate: true, baseDir }, undefined, {
      tsConfig: { fileName: join(ROOT, 'tsconfig.json') },
    });
    const output = result.output as ICruiseResult;
    return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  } finally {
    process.chdir(cwd);
  }
}

describe('the layering (dependency-cruiser)', () => {
  const control = mkdtempSync(join(tmpdir(), 'cohort-layering-'));
  afterAll(() => rmSync(control, { recursive: true, force: true }));

  it('finds no cycle and no import against the layering in this tree', async () => {
    expect(await violations(ROOT, LAYERS)).toEqual([]);
  }, 60_000);

  it('would catch a cycle, core importing the coordinator, and the site agent importing the coordinator', async () => {
    const files: Record<string, string> = {
      'core/a.ts': "import { b } from './b.ts';\nexport const a = (): number => b() + 1;\n",
      'core/b.ts': "import type { a } from './a.ts';\nexport const b = (): number => 1;\nexport type A = typeof a;\n",
      'core/c.ts': "import { plan } from '../coordinator/plan.ts';\nexport const c = plan;\n",
      'coordinator/plan.ts': 'export const plan = 1;\n',
      'site-agent/sim.ts': "import { plan } from '../coordinator/plan.ts';\nexport const sim = plan;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(control, path)), { recursive: true });
      writeFileSync(join(control, path), text);
    }
    expect(await violations(control, ['core', 'coordinator', 'site-agent'])).toEqual([
      'core-and-models-below-the-services: core/c.ts -> coordinator/plan.ts',
      'no-circular: core/a.ts -> core/b.ts',
      'site-agent-not-coordinator: site-agent/sim.ts -> coordinator/plan.ts',
    ]);
  }, 60_000);
});
