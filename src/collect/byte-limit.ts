import { Transform } from 'node:stream';

/** A pass-through stream that fails with `onExceed()` once more than `max` bytes went through it. */
export function byteLimit(max: number, onExceed: () => Error): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > max) cb(onExceed());
      else cb(null, chunk);
    },
  });
}
