/**
 * Times the AuditService's reads of a large log (N records, default 200000, of 450 bytes):
 * what each call cost before the cache (read, hash and fold the whole file), the first call
 * that builds ServedLog's cache, a later call after one append, and two proofs from the
 * cached subtree hashes. Run: npx tsx scripts/audit-service-bench.ts (N=... to change the size).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLineFile } from '../core/audit/lines.ts';
import { leafHash, MerkleFrontier, treeHash } from '../core/audit/merkle.ts';
import { ServedLog } from '../coordinator/server/audit-service.ts';
const n = Number(process.env.N ?? 200000);
const dir = mkdtempSync(join(tmpdir(), 'auditfix-bench-'));
const logFile = join(dir, 'audit.jsonl');
const line = 'x'.repeat(450);
writeFileSync(logFile, (line + '\n').repeat(n));
const f = new MerkleFrontier();
for (let i = 0; i < n; i++) f.append(leafHash(Buffer.from(line)));
const audit = { isOpen: true, logFile, checkpointFile: join(dir, 'checkpoints.jsonl'), get size() { return f.size; }, root: () => f.root() };
const ms = (t0: number) => (performance.now() - t0).toFixed(0);
// Before: each call read, hashed and folded the whole file.
let t0 = performance.now();
const lines = readLineFile(logFile).lines.slice(0, n);
const leaves = lines.map((l) => leafHash(l));
treeHash(leaves);
console.log(`n=${n} before (each call): read+hash+root ${ms(t0)} ms`);
const served = new ServedLog(audit as never);
t0 = performance.now(); served.log(); console.log(`after, first call (cache built): ${ms(t0)} ms`);
appendFileSync(logFile, line + '\n'); f.append(leafHash(Buffer.from(line)));
t0 = performance.now(); served.log(); console.log(`after, a later call (1 record appended): ${ms(t0)} ms`);
t0 = performance.now(); const cached = served.log(); cached.tree.inclusionProof(5, cached.tree.size); cached.tree.consistencyProof(1000, cached.tree.size); console.log(`after, inclusion + consistency proof from cached subtree hashes: ${ms(t0)} ms`);
rmSync(dir, { recursive: true, force: true });
