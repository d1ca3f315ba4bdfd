import { Table, type TableProps } from '@mantine/core';
import type { ReactNode } from 'react';

/** A column heading: its text (or a node, e.g. visually hidden), optionally right-aligned (amounts). */
export type DataTableColumn = string | { label: ReactNode; align?: 'left' | 'right' };

/**
 * A table as every page shows one: a caption (shown above, or only named with `hiddenCaption`), column
 * headings, and a region that scrolls sideways when the screen is narrower than `minWidth` px — focusable,
 * so it scrolls by keyboard, and named by the caption. `children` are the body's rows (`Table.Tr`).
 */
export function DataTable({
  caption,
  head,
  children,
  minWidth = 0,
  hiddenCaption = false,
  tableProps,
}: {
  caption: string;
  head: DataTableColumn[];
  children: ReactNode;
  minWidth?: number;
  hiddenCaption?: boolean;
  tableProps?: TableProps;
}) {
  return (
    <Table.ScrollContainer type="native" minWidth={minWidth} tabIndex={0} role="region" aria-label={caption}>
      <Table
        striped
        withTableBorder
        verticalSpacing="xs"
        captionSide="top"
        aria-label={hiddenCaption ? caption : undefined}
        {...tableProps}
      >
        {hiddenCaption ? null : <Table.Caption>{caption}</Table.Caption>}
        <Table.Thead>
          <Table.Tr>
            {head.map((h, i) => {
              const c = typeof h === 'string' ? { label: h } : h;
              return (
                <Table.Th
                  key={i}
                  scope="col"
                  style={c.align === 'right' ? { textAlign: 'right' } : undefined}
                >
                  {c.label}
                </Table.Th>
              );
            })}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>{children}</Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
