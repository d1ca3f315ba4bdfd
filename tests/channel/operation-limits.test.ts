/**
 * The limits every channel entrance checks first, on the document alone
 * (channel-layer/graphql/operation-rules.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { MAX_FIELDS, MAX_TOKENS, withinLimits } from '../../channel-layer/graphql/operation-rules.js';

const refusal = (source: string): string | undefined =>
  withinLimits(source)
    .errors?.map((e) => e.message)
    .join('; ');

describe('withinLimits', () => {
  it('lets ordinary documents through, fragments and all', () => {
    expect(
      refusal(
        '{ offer(sku: "COAT-M") { sku price { final { amount } } availability { online { available } } } }',
      ),
    ).toBeUndefined();
    expect(
      refusal(
        'fragment P on Money { amount currency } query Q($s: [ID!]!) { offers(skus: $s) { sku ' +
          'price { base { ...P } final { ...P } } } }',
      ),
    ).toBeUndefined();
    expect(refusal('{ a: revision b: revision revision }')).toBeUndefined();
  });

  it('refuses each kind of excess with the limit it broke', () => {
    expect(refusal(`{ ${'revision '.repeat(MAX_TOKENS)} }`)).toMatch(/more tha[nt] 2000 tokens/);
    expect(refusal('{ revision revision revision revision }')).toMatch(
      /"revision" is selected more than 3 times in one selection/,
    );
    // Fields are counted as written: 170 fragments of 3 fields each, under the token limit.
    const wide = Array.from(
      { length: 170 },
      (_, i) => `fragment F${i} on Offer { sku revision fingerprint }`,
    ).join(' ');
    expect(refusal(`${wide} { revision }`)).toBe(`The document selects more than ${MAX_FIELDS} fields`);
    expect(refusal(`{ offer(sku: "C") { ${'product { '.repeat(9)}sku${' }'.repeat(9)} } }`)).toMatch(
      /depth limit of 8 exceeded, found 11/,
    );
    expect(refusal(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: revision`).join(' ')} }`)).toMatch(
      /Aliases limit of 30 exceeded, found 31/,
    );
    const chained = [
      'fragment F0 on Query { revision }',
      ...Array.from({ length: 119 }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`),
      '{ ...F119 }',
    ].join(' ');
    expect(refusal(chained)).toMatch(
      /"revision" is selected more than 3 times in one selection \(fragments included\)/,
    );
  });

  it('prices a fragment spread in a list by the list around it', () => {
    const skus = JSON.stringify(Array.from({ length: 100 }, (_, i) => `S${i}`));
    const fields =
      'sku revision fingerprint product { sku name category vatRate status attributes { name value } }';
    // 100 offers of ~70 cost each pass, through a fragment too; two lists of 100 offers of ~460 each do not.
    expect(refusal(`{ offers(skus: ${skus}) { ${fields} } }`)).toBeUndefined();
    expect(refusal(`fragment O on Offer { ${fields} } { offers(skus: ${skus}) { ...O } }`)).toBeUndefined();
    expect(
      refusal(
        `fragment O on Offer { ${fields} } fragment P on Offer { price { base { amount } final ` +
          `{ amount } savings { amount } adjustments { id label reason amount { amount currency ` +
          `formatted } } } availability { locations { available status location { id name } } } ` +
          `} { a: offers(skus: ${skus}) { ...O ...P } b: offers(skus: ${skus}) { ...O ...P } }`,
      ),
    ).toMatch(/too costly \(cost \d{6}; at most 50000\)/);
  });

  it(
    'prices an offer as the work it is, not as its fields: 30 aliased 100-SKU offers of one ' +
      'field are refused',
    () => {
      const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: offers(skus: $s) { sku }`).join(' ');
      const many = `query($s: [ID!]!) { ${aliases} }`;
      expect(refusal(many)).toMatch(/too costly/);
      expect(
        refusal('query($s: [ID!]!) { a: offers(skus: $s) { sku } b: offers(skus: $s) { sku } }'),
      ).toBeUndefined();
    },
  );

  it('counts the fields fragments spread into a selection as selected there', () => {
    const spreads = Array.from(
      { length: 45 },
      (_, i) => `fragment F${i} on Query { offers(skus: ["S${i}"]) { sku } }`,
    ).join(' ');
    expect(refusal(`${spreads} { ${Array.from({ length: 45 }, (_, i) => `...F${i}`).join(' ')} }`)).toMatch(
      /"offers" is selected more than 3 times in one selection \(fragments included\)/,
    );
    expect(refusal('fragment A on Query { revision } { ...A ...A ...A ...A }')).toMatch(
      /"revision" is selected more than 3 times/,
    );
    // Three, through fragments and inline fragments, is fine; chained fragments are counted without expanding
    // them.
    expect(
      refusal('fragment A on Query { revision } { ...A ... on Query { revision } revision }'),
    ).toBeUndefined();
  });

  it('prices a quote as the up to 200 lines it may price', () => {
    const quotes = Array.from({ length: 30 }, (_, i) => `q${i}: quote(input: $i) { total { amount } }`).join(
      ' ',
    );
    expect(refusal(`query($i: QuoteInput!) { ${quotes} }`)).toMatch(/too costly/);
    expect(
      refusal(
        'query($i: QuoteInput!) { quote(input: $i) { total { amount } lines { sku final { amount } } } }',
      ),
    ).toBeUndefined();
  });

  it('prices next best offers as the candidate offers one answer prices, however few fields', () => {
    const nbo = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `c${i}: customer(id: "c") { nextBestOffers(first: 20) { id } }`,
      ).join(' ');
    expect(refusal(`{ ${nbo(7)} }`)).toMatch(/too costly/);
    expect(refusal(`{ ${nbo(6)} }`)).toBeUndefined();
    expect(
      refusal('{ customer(id: "c") { nextBestOffers { id label saving { amount } } } }'),
    ).toBeUndefined();
  });
});
