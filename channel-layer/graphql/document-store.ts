/**
 * Apollo's store of parsed and validated documents, bounded by the memory the documents really hold. A parsed
 * document keeps its source and every token of it, comments included (each AST node's location links into
 * the token list), which Apollo's default store does not count: it sizes a document by its JSON, where a
 * location is two numbers — so 16 KiB of `#` comment lines around a small query hold ~450 KB while counting
 * under 1 KB, and its 30 MiB would hold many gigabytes of documents that differ only in their comments.
 */
import type { DocumentStore } from '@apollo/server';
import type { DocumentNode } from 'graphql';

/** Memory (bytes, estimated as documentBytes does) the parsed documents of one node may hold. */
export const DOCUMENT_STORE_BYTES = 32 * 1024 * 1024;

/** Bytes one token of a parsed document holds, with its share of the nodes and locations that point at it. */
const BYTES_PER_TOKEN = 200;

/** The memory a parsed document holds, estimated (bytes): its tokens, comments included, and its source. */
export function documentBytes(document: DocumentNode): number {
  let tokens = 0;
  for (let t = document.loc?.startToken ?? null; t; t = t.next) tokens++;
  return tokens * BYTES_PER_TOKEN + 2 * (document.loc?.source.body.length ?? 0);
}

/**
 * An LRU store of documents holding at most `maxBytes` (documentBytes) in all; a document larger than a
 * sixteenth of that is not kept (it is parsed again when asked again).
 */
export function documentStore(maxBytes = DOCUMENT_STORE_BYTES): DocumentStore {
  const kept = new Map<string, { document: DocumentNode; bytes: number }>();
  let total = 0;
  const drop = (key: string): boolean => {
    const entry = kept.get(key);
    if (!entry) return false;
    kept.delete(key);
    total -= entry.bytes;
    return true;
  };
  return {
    get: async (key) => {
      const entry = kept.get(key);
      if (!entry) return undefined;
      // Most recently used last.
      kept.delete(key);
      kept.set(key, entry);
      return entry.document;
    },
    set: async (key, document) => {
      drop(key);
      const bytes = documentBytes(document);
      if (bytes > maxBytes / 16) return;
      while (total + bytes > maxBytes) drop(kept.keys().next().value!);
      kept.set(key, { document, bytes });
      total += bytes;
    },
    delete: async (key) => drop(key),
  };
}
