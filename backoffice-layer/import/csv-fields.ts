const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * Splits one CSV record (RFC 4180: `,` between fields, `"…"` around a field that holds `,`, `"` or a line break,
 * `""` for a quote inside it) into its fields, trimming blanks around each field (not inside quotes).
 * @returns the fields, or a message saying what is wrong with the record (a quote out of place or not closed).
 * @example csvFields('a, "b, c" ,"say ""hi"""') // → ['a', 'b, c', 'say "hi"']
 */
export function csvFields(record: string): string[] | { error: string } {
  if (!record.includes('"')) return record.split(',').map((f) => f.trim());
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (isBlank(record[i])) i++;
    if (record[i] === '"') {
      let value = '';
      let k = i + 1;
      for (;;) {
        const q = record.indexOf('"', k);
        if (q === -1) return { error: `field ${fields.length + 1}: a quoted field is not closed` };
        value += record.slice(k, q);
        k = q + 1;
        if (record[k] !== '"') break;
        value += '"';
        k++;
      }
      while (isBlank(record[k])) k++;
      fields.push(value);
      if (k >= record.length) return fields;
      if (record[k] !== ',') return { error: `field ${fields.length}: text after the closing quote (a quote inside a field is written "")` };
      i = k + 1;
    } else {
      const comma = record.indexOf(',', i);
      const raw = record.slice(i, comma === -1 ? record.length : comma);
      if (raw.includes('"')) return { error: `field ${fields.length + 1}: a quote inside an unquoted field (quote the whole field and write the quote as "")` };
      fields.push(raw.trim());
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}
