/**
 * The smallest spec the coordinator's engine tests run: logistic regression on one numeric
 * column of `heart` (2 parameters plus the weight slot), 2 rounds of 2 sites, 60-second rounds.
 * Each test states only what it changes.
 */
import type { ModelSpec } from '../../models/spec-schema.ts';
import { parseSpec } from '../../models/validate-spec.ts';

export function tinySpec(changes: Record<string, unknown> = {}): ModelSpec {
  return parseSpec({
    name: 'tiny',
    dataset: 'heart',
    features: [{ name: 'age', type: 'numeric' }],
    label: { name: 'disease', type: 'binary' },
    model: { family: 'logistic-regression' },
    training: { epochs: 1 },
    rounds: 2,
    minSites: 2,
    roundTimeoutSeconds: 60,
    ...changes,
  });
}
