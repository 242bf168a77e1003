/** Turns a download body into CSV bytes: gunzipped as a stream when it starts with the gzip magic. */
import type { Readable } from "node:stream";
import { createGunzip, type Gunzip } from "node:zlib";

const GZIP_MAGIC = [0x1f, 0x8b];

/** Reads at least `size` bytes (or all, if fewer) and puts them back, so the stream is unchanged. */
export function peek(stream: Readable, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (error?: Error): void => {
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("error", finish);
      if (error) return reject(error);
      const head = Buffer.concat(chunks);
      if (head.length > 0) stream.unshift(head);
      resolve(head);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (length < size && (chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        length += chunk.length;
      }
      if (length >= size) finish();
    };
    const onEnd = (): void => finish();
    stream.on("readable", onReadable);
    stream.once("end", onEnd);
    stream.once("error", finish);
  });
}

/** The stages to put after the body: a gunzip for gzip data, none for plain text. */
export async function decodingStages(body: Readable): Promise<Gunzip[]> {
  const head = await peek(body, GZIP_MAGIC.length);
  const gzip = head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  return gzip ? [createGunzip()] : [];
}

/** A readable explanation of a zlib error, or undefined when the error is not from zlib. */
export function describeZlibError(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "Z_BUF_ERROR") return "the gzip download is truncated (unexpected end of file)";
  if (code === "Z_DATA_ERROR") return `the gzip download is corrupt (${(error as Error).message})`;
  return undefined;
}
