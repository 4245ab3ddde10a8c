// Writes an embedding model for the client tests: a copy of a decoder GGUF
// (a tiny-random-llama fixture) with `<arch>.pooling_type` = 1 (mean)
// added to its metadata. Discovery calls a file with a pooling type an
// embedding model, and the engine embeds with any decoder, so this gives
// /v1/embeddings and /api/embed a real model to run without shipping one.
//
//   node make_embed_model.mjs IN.gguf OUT.gguf   -> prints the embedding length
//
// GGUF layout (public spec): magic, version, n_tensors, n_kv, the key/values,
// the tensor infos, padding to `general.alignment` (default 32), tensor
// data. Tensor offsets are relative to the data section, so inserting a
// key/value only moves the data section to the next aligned position.
import { readFileSync, writeFileSync } from 'node:fs';

const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;
const UINT32 = 4;

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
  }
  u32() {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64() {
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }
  str() {
    const n = this.u64();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  // Reads a value of `type`; returns it for scalars and strings we need.
  value(type) {
    if (type === STRING) return this.str();
    if (type === ARRAY) {
      const elem = this.u32();
      const n = this.u64();
      if (elem === STRING) {
        for (let i = 0; i < n; i++) this.str();
      } else if (elem in SCALAR_SIZE) {
        this.pos += n * SCALAR_SIZE[elem];
      } else {
        throw new Error(`unsupported array element type ${elem}`);
      }
      return undefined;
    }
    if (!(type in SCALAR_SIZE)) throw new Error(`unknown value type ${type}`);
    const at = this.pos;
    this.pos += SCALAR_SIZE[type];
    if (type === UINT32) return this.buf.readUInt32LE(at);
    if (type === 10) return Number(this.buf.readBigUInt64LE(at));
    return undefined;
  }
}

function stringBytes(s) {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([len, body]);
}

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node make_embed_model.mjs IN.gguf OUT.gguf');
  process.exit(1);
}
const buf = readFileSync(input);
const r = new Reader(buf);
if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${input}: not a GGUF file`);
r.pos = 4;
const version = r.u32();
const nTensors = r.u64();
const nKv = r.u64();
const kv = {};
for (let i = 0; i < nKv; i++) {
  const key = r.str();
  kv[key] = r.value(r.u32());
}
const kvEnd = r.pos;
for (let i = 0; i < nTensors; i++) {
  r.str();
  const nDims = r.u32();
  r.pos += 8 * nDims + 4 + 8;  // dims, type, offset
}
const infosEnd = r.pos;
const alignment = kv['general.alignment'] ?? 32;
const dataStart = Math.ceil(infosEnd / alignment) * alignment;

const arch = kv['general.architecture'];
const key = `${arch}.pooling_type`;
if (key in kv) throw new Error(`${input} already has ${key}`);
const newKv = Buffer.concat([stringBytes(key), Buffer.from([UINT32, 0, 0, 0]), Buffer.alloc(4)]);
newKv.writeUInt32LE(1, newKv.length - 4);  // mean pooling

const head = Buffer.alloc(24);
head.write('GGUF', 0, 'latin1');
head.writeUInt32LE(version, 4);
head.writeBigUInt64LE(BigInt(nTensors), 8);
head.writeBigUInt64LE(BigInt(nKv + 1), 16);
const meta = Buffer.concat([head, buf.subarray(24, kvEnd), newKv, buf.subarray(kvEnd, infosEnd)]);
const pad = Buffer.alloc((alignment - (meta.length % alignment)) % alignment);
writeFileSync(output, Buffer.concat([meta, pad, buf.subarray(dataStart)]));
console.log(kv[`${arch}.embedding_length`]);
