import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * SHA-256 of a string's UTF-8 bytes, as hex. `@noble/hashes` (pure JS, audited) instead of
 * `node:crypto`: loading node:crypto cost 6.5–8.5 ms of every `up`, `down` and `ps` here,
 * for two short hashes (the project id and a service's config hash). The digests are the
 * same bytes, so ids and hashes written by earlier versions still match.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
