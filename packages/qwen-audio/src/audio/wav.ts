import { QwenAudioError } from '../errors';

const HEADER_BYTES = 44;

/**
 * Encodes mono PCM as a 16-bit WAV file with a complete 44-byte RIFF header (RIFF size, `fmt `
 * chunk, `data` size all filled in) — the form Ollama and OpenAI-compatible servers accept.
 * Float input is clamped to [-1, 1].
 */
export function encodeWav(samples: Float32Array | Int16Array, sampleRate: number): Buffer {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new QwenAudioError('invalid-input', `sampleRate must be a positive integer, got ${sampleRate}`);
  }
  const dataBytes = samples.length * 2;
  const buf = Buffer.alloc(HEADER_BYTES + dataBytes);
  writeHeader(buf, dataBytes, sampleRate);
  if (samples instanceof Int16Array) {
    for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i]!, HEADER_BYTES + i * 2);
  } else {
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]!));
      buf.writeInt16LE(Math.round(s < 0 ? s * 32768 : s * 32767), HEADER_BYTES + i * 2);
    }
  }
  return buf;
}

/** Wraps little-endian 16-bit mono PCM bytes in a WAV file (header + a copy of the bytes). */
export function wavFromS16le(pcm: Uint8Array, sampleRate: number): Buffer {
  if (pcm.length % 2 !== 0)
    throw new QwenAudioError('invalid-input', '16-bit PCM must have an even byte length');
  const buf = Buffer.alloc(HEADER_BYTES + pcm.length);
  writeHeader(buf, pcm.length, sampleRate);
  buf.set(pcm, HEADER_BYTES);
  return buf;
}

function writeHeader(buf: Buffer, dataBytes: number, sampleRate: number): void {
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
}

/** Header fields of a PCM WAV file, as read back by {@link parseWavHeader}. */
export interface WavHeader {
  /** Channels. */
  channels: number;
  /** Samples per second. */
  sampleRate: number;
  /** Bits per sample. */
  bitsPerSample: number;
  /** Bytes of sample data. */
  dataBytes: number;
  /** Byte offset where sample data starts. */
  dataOffset: number;
}

/**
 * Reads and checks a PCM WAV header (RIFF size, chunk sizes, byte rate and block align consistent).
 *
 * @throws {@link QwenAudioError} `invalid-input` naming the inconsistent field.
 */
export function parseWavHeader(buf: Uint8Array): WavHeader {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (what: string) => {
    throw new QwenAudioError('invalid-input', `not a valid PCM WAV: ${what}`);
  };
  if (b.length < HEADER_BYTES) fail('shorter than a RIFF header');
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') fail('no RIFF/WAVE tag');
  if (b.readUInt32LE(4) !== b.length - 8) fail(`RIFF size ${b.readUInt32LE(4)} != file size - 8`);
  let offset = 12;
  let fmt: Omit<WavHeader, 'dataBytes' | 'dataOffset'> | null = null;
  while (offset + 8 <= b.length) {
    const id = b.toString('ascii', offset, offset + 4);
    const size = b.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (b.readUInt16LE(offset + 8) !== 1) fail('format is not PCM');
      const channels = b.readUInt16LE(offset + 10);
      const sampleRate = b.readUInt32LE(offset + 12);
      const bitsPerSample = b.readUInt16LE(offset + 22);
      const blockAlign = (channels * bitsPerSample) / 8;
      if (b.readUInt16LE(offset + 20) !== blockAlign) fail('block align');
      if (b.readUInt32LE(offset + 16) !== sampleRate * blockAlign) fail('byte rate');
      fmt = { channels, sampleRate, bitsPerSample };
    } else if (id === 'data') {
      if (!fmt) fail('data chunk before fmt chunk');
      if (offset + 8 + size !== b.length) fail(`data size ${size} does not match the file`);
      return { ...fmt!, dataBytes: size, dataOffset: offset + 8 };
    }
    offset += 8 + size + (size % 2);
  }
  return fail('no data chunk');
}
