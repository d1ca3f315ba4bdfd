import { canonicalJson, sha256 } from '../../shared/index.js';

/**
 * The content of an answer, hashed (SHA-256 of its canonical JSON, hex): same inputs and revision give the
 * same fingerprint in every channel.
 */
export function fingerprint(content: unknown): string {
  return sha256(canonicalJson(content));
}
