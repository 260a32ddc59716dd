/**
 * Records the generated SmartFRZ training histories (`npm run smartfrz:generate`): full trainings
 * (policy `none`) of the pairs of `pairs.ts`, each saved to its own file in the pair cache as soon
 * as it finishes. Resumable and growable: pairs already on disk are skipped, so an interrupted
 * run continues where it stopped and `--count 80` after `--count 40` records only the 40 new ones.
 *
 *   npm run smartfrz:generate -- [--count N] [--cache DIR] [--budget-seconds S]
 *
 * `--budget-seconds`: start no new pair after S seconds of CPU time of this process (a budget
 * for a shared machine; run it under `nice`). Default cache: $TMPDIR/model-lab-smartfrz-pairs-v4.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { DEFAULT_PREDICTOR_CONFIG } from '../../src/core/freezing/smartfrz/predictor';
import { initBackend } from '../../src/core/tensor/backend';
import { generatedPairs, type PairRole } from './pairs';
import { recordRun, type RecordOptions, type RunRecord } from './record';

/** Recording settings; part of the cache folder's name, so changing them starts a fresh cache. */
export const RECORD: RecordOptions = {
  sampleSize: DEFAULT_PREDICTOR_CONFIG.sampleSize,
  quantiles: DEFAULT_PREDICTOR_CONFIG.quantiles,
  snapshotEvery: DEFAULT_PREDICTOR_CONFIG.snapshotEvery,
  window: DEFAULT_PREDICTOR_CONFIG.window,
  minWindow: DEFAULT_PREDICTOR_CONFIG.minWindow,
  checkpointEvery: 40,
  samplesPerUnit: 2,
  probeSize: 256,
};

/** v4 (round 10): records also carry each unit's CKA to its earlier checkpoints (`UnitRecord.back`). */
export const DEFAULT_CACHE = path.join(os.tmpdir(), 'model-lab-smartfrz-pairs-v4');

/** A recorded pair as stored in the cache. */
export interface CachedRun extends RunRecord {
  role: PairRole;
  describe: string;
}

export function cacheFile(cache: string, id: string): string {
  return path.join(cache, `${id}.bin`);
}

/** Every recorded pair in the cache, in id order. */
export function readCache(cache: string): CachedRun[] {
  if (!fs.existsSync(cache)) return [];
  return fs.readdirSync(cache).filter((f) => f.endsWith('.bin')).sort()
    .map((f) => v8.deserialize(fs.readFileSync(path.join(cache, f))) as CachedRun);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '40' },
      cache: { type: 'string', default: DEFAULT_CACHE },
      'budget-seconds': { type: 'string' },
    },
  });
  const cache = path.resolve(values.cache!);
  const budget = values['budget-seconds'] === undefined ? Infinity : Number(values['budget-seconds']);
  const backend = await initBackend();
  const log = (m: string) => process.stderr.write(`${m}\n`);
  fs.mkdirSync(cache, { recursive: true });
  log(`SmartFRZ pairs on backend ${backend.name}, cache ${cache}`);
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  let recorded = 0;
  for (const pair of generatedPairs(Number(values.count))) {
    const file = cacheFile(cache, pair.id);
    if (fs.existsSync(file)) continue;
    if (cpu() > budget) {
      log(`CPU budget of ${budget} s used: stopping before ${pair.id} (rerun to continue)`);
      break;
    }
    const c0 = cpu();
    log(`${pair.id} (${pair.role}): ${pair.describe}`);
    const rec = await recordRun({ ...pair, data: await pair.load() }, { ...RECORD });
    const entry: CachedRun = { ...rec, role: pair.role, describe: pair.describe };
    fs.writeFileSync(`${file}.tmp`, v8.serialize(entry));
    fs.renameSync(`${file}.tmp`, file);
    recorded++;
    log(`  ${rec.seconds.toFixed(1)} s wall, ${(cpu() - c0).toFixed(1)} s CPU, ${rec.totalSteps} steps, final accuracy ${rec.testAccuracy[rec.testAccuracy.length - 1].toFixed(3)}`);
  }
  log(`recorded ${recorded} pair(s); ${readCache(cache).length} in the cache; ${cpu().toFixed(0)} s CPU`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
