import { parentPort } from 'node:worker_threads';
import { decodeImage, type DecodeRequest, type DecodeResponse } from './image-decoder.ts';

/** Loads and decodes camera images off the edge's main thread; see WorkerImageDecoder in image-decoder.ts. */
parentPort!.on('message', (m: DecodeRequest) => {
  void decodeImage(Buffer.from(m.image.buffer, m.image.byteOffset, m.image.byteLength), m.load, m.opts).then(
    (out) => parentPort!.postMessage({ id: m.id, out } satisfies DecodeResponse),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies DecodeResponse),
  );
});
