import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A file of a multipart form. */
export interface UploadedFile {
  name: string;
  bytes: Buffer;
}

/** A multipart form's fields: text as strings, files as {@link UploadedFile}. */
export type MultipartBody = Record<string, string | UploadedFile | undefined>;

/**
 * The largest upload (the recipients CSV parser takes 20 MB; the preview's apply form carries the file again,
 * base64): more is refused with 413 before anything is read into a form.
 * @defaultValue 30 MB
 */
export const UPLOAD_LIMIT = 30 * 1024 * 1024;

/**
 * Lets the routes of this scope (only) take `multipart/form-data` forms — a file input needs them — parsed by
 * the platform's own `FormData` (undici): the CSRF token arrives as the `_csrf` field like in any other form.
 * Such a route should check the caller `onRequest` (before its body is read), not only in its preHandler.
 */
export function acceptMultipart(app: FastifyInstance): void {
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT },
    async (req: FastifyRequest, body: Buffer): Promise<MultipartBody> => {
      const type = String(req.headers['content-type']);
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } })
        .formData()
        .catch((err: unknown) => {
          throw Object.assign(new Error('malformed multipart form', { cause: err }), { statusCode: 400 });
        });
      const out: MultipartBody = {};
      for (const [k, v] of form)
        out[k] = typeof v === 'string' ? v : { name: v.name, bytes: Buffer.from(await v.arrayBuffer()) };
      return out;
    },
  );
}

/** A text field of a multipart form ('' when absent or a file). */
export const textField = (body: MultipartBody | undefined, name: string): string => {
  const v = body?.[name];
  return typeof v === 'string' ? v : '';
};
