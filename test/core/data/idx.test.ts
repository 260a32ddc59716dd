import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as zlib from 'node:zlib';
import { UserError } from '../../../src/core/errors';
import { parseIdxImages, parseIdxLabels } from '../../../src/core/data/idx';
import { loadData } from '../../../src/core/data/load';

/** An IDX file: big-endian magic, dimension sizes, then uint8 data. */
function idxFile(magic: number, dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

// 5 images of 2x3 pixels: image k has pixels 10k .. 10k+5; labels 0 1 2 0 1.
const COUNT = 5;
const PIXELS = Array.from({ length: COUNT * 6 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6));
const LABELS = [0, 1, 2, 0, 1];
const images = idxFile(0x803, [COUNT, 2, 3], PIXELS);
const labels = idxFile(0x801, [COUNT], LABELS);

let dir = '';
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'idx-test-'));
  await fs.writeFile(path.join(dir, 'images'), images);
  await fs.writeFile(path.join(dir, 'labels'), labels);
  await fs.writeFile(path.join(dir, 'images.gz'), zlib.gzipSync(images));
  await fs.writeFile(path.join(dir, 'labels.gz'), zlib.gzipSync(labels));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('parses IDX images into [h, w] float pixels and labels into int32', () => {
  const im = parseIdxImages(images, 'f', '/p');
  assert.deepEqual([im.count, im.height, im.width], [5, 2, 3]);
  assert.deepEqual([...im.x], PIXELS);
  assert.deepEqual([...parseIdxImages(images, 'f', '/p', 10).x.slice(6, 9)], [10, 11, 12].map((v) => Math.fround(v / 10)));
  assert.deepEqual([...parseIdxLabels(labels, 'f', '/p')], LABELS);
});

test('loads plain and gzip IDX files alike, images become [h, w, 1]', async () => {
  for (const suffix of ['', '.gz']) {
    const data = await loadData(
      {
        format: 'idx',
        train: { images: path.join(dir, `images${suffix}`), labels: path.join(dir, `labels${suffix}`) },
        test: { images: path.join(dir, 'images'), labels: path.join(dir, 'labels') },
        scale: 255,
      },
      { seed: 1 },
    );
    assert.deepEqual(data.exampleShape, [2, 3, 1]);
    assert.equal(data.xDtype, 'float32');
    assert.equal(data.numClasses, 3);
    assert.equal(data.train.count, 5);
    assert.deepEqual([...data.train.y], LABELS);
    assert.deepEqual([...data.train.x], PIXELS.map((v) => Math.fround(v / 255)));
    assert.equal(data.test.count, 5);
  }
});

async function rejectsUserError(p: Promise<unknown>, expect: { message: RegExp; pointer: string; file?: string }): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, expect.message);
    assert.equal(e.pointer, expect.pointer);
    if (expect.file) assert.equal(e.file, expect.file);
    return true;
  });
}

test('bad magic numbers, swapped files, truncated data and count mismatches', async () => {
  const write = async (name: string, buf: Buffer): Promise<string> => {
    const f = path.join(dir, name);
    await fs.writeFile(f, buf);
    return f;
  };
  const good = { images: path.join(dir, 'images'), labels: path.join(dir, 'labels') };
  const notIdx = await write('text.idx', Buffer.from('hello world, not idx'));
  await rejectsUserError(loadData({ format: 'idx', train: { ...good, images: notIdx } }, { seed: 1 }), {
    message: /not an IDX image file: magic number 0x68656c6c, expected 0x00000803/,
    pointer: '/data/train/images',
    file: notIdx,
  });
  await rejectsUserError(loadData({ format: 'idx', train: { images: good.labels, labels: good.images } }, { seed: 1 }), {
    message: /expected 0x00000803 \(this is an IDX label file\)/,
    pointer: '/data/train/images',
  });
  const truncated = await write('truncated', images.subarray(0, images.length - 4));
  await rejectsUserError(loadData({ format: 'idx', train: { ...good, images: truncated } }, { seed: 1 }), {
    message: /truncated IDX file: the header announces 30 bytes of data, the file has 26/,
    pointer: '/data/train/images',
    file: truncated,
  });
  const shortHeader = await write('short-header', images.subarray(0, 10));
  await rejectsUserError(loadData({ format: 'idx', train: { ...good, images: shortHeader } }, { seed: 1 }), {
    message: /truncated IDX image file: the header needs 16 bytes/,
    pointer: '/data/train/images',
  });
  const fewLabels = await write('few-labels', idxFile(0x801, [4], [0, 1, 2, 0]));
  await rejectsUserError(loadData({ format: 'idx', train: { ...good, labels: fewLabels } }, { seed: 1 }), {
    message: /4 labels for 5 images/,
    pointer: '/data/train/labels',
  });
  const corruptGz = await write('corrupt.gz', Buffer.concat([zlib.gzipSync(images).subarray(0, 20)]));
  await rejectsUserError(loadData({ format: 'idx', train: { ...good, images: corruptGz } }, { seed: 1 }), {
    message: /corrupt gzip data/,
    pointer: '/data/train/images',
  });
  await rejectsUserError(loadData({ format: 'idx', train: { ...good, labels: path.join(dir, 'missing') } }, { seed: 1 }), {
    message: /data file not found: .*missing/,
    pointer: '/data/train/labels',
  });
});
