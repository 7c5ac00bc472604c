/**
 * The page's files, served from the package (`assets/dashboard/`, beside dist/): no CDN, no
 * build step at run time. The folder is found from this code's own location, as
 * core/version.ts finds package.json: every chunk lives in dist/cli/, and in a checkout
 * the source lives in src/dashboard/, both two folders below the package root.
 *
 * A request names a file by its plain name only (`/app.js`): anything with a slash, a
 * backslash, a dot first or an escape is not looked up at all, so no path from the
 * request ever reaches the file system beyond one folder's listing.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json; charset=utf-8',
};

/** `<package>/assets/dashboard`, from dist/cli/*.cjs or src/dashboard/*.ts alike. */
export function defaultAssetsDir(): string {
  return fileURLToPath(new URL('../../assets/dashboard/', import.meta.url));
}

export interface StaticFile {
  body: Buffer;
  type: string;
  /** Whether `body` is gzip-compressed. */
  gzip: boolean;
}

/** A file name the page may ask for: letters, digits, `-`, `_`, and one extension we serve. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*\.([a-z]+)$/;

/**
 * Returns a reader of the folder's files, compressed once per file version (its mtime and
 * size) when the client accepts gzip. Undefined: not a servable name, or no such file.
 */
export function staticFiles(dir: string): (name: string, acceptsGzip: boolean) => StaticFile | undefined {
  const cache = new Map<string, { key: string; plain: Buffer; zipped: Buffer }>();
  return (name, acceptsGzip) => {
    const m = NAME.exec(name);
    const type = m ? TYPES[m[1]!] : undefined;
    if (type === undefined) return undefined;
    const path = join(dir, name);
    let key: string;
    try {
      const st = statSync(path);
      if (!st.isFile()) return undefined;
      key = `${st.mtimeMs}:${st.size}`;
    } catch {
      return undefined;
    }
    let entry = cache.get(name);
    if (entry?.key !== key) {
      let plain: Buffer;
      try {
        plain = readFileSync(path);
      } catch {
        return undefined;
      }
      entry = { key, plain, zipped: gzipSync(plain) };
      cache.set(name, entry);
    }
    const zip = acceptsGzip && entry.zipped.length < entry.plain.length;
    return { body: zip ? entry.zipped : entry.plain, type, gzip: zip };
  };
}
