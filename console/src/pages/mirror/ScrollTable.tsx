import { Table } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways when narrower than `minWidth` (a store tablet), in a region that takes the
 * keyboard's focus so it can be scrolled without a mouse; `label` names the region (the table's caption).
 * The stock and prices page still uses it; new tables use ui/DataTable (the same region, with caption and
 * headings).
 */
export function ScrollTable({
  minWidth,
  label,
  children,
}: {
  minWidth: number;
  label: string;
  children: ReactNode;
}) {
  return (
    <Table.ScrollContainer type="native" minWidth={minWidth} tabIndex={0} role="region" aria-label={label}>
      {children}
    </Table.ScrollContainer>
  );
}
