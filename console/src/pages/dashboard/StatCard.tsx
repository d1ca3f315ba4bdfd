import { Paper, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** One figure: its title, its value large, a line of detail. A named group for assistive technology. */
export function StatCard({ title, value, detail }: { title: string; value: ReactNode; detail?: ReactNode }) {
  return (
    <Paper withBorder p="sm" role="group" aria-label={title}>
      <Text size="sm" c="dimmed">
        {title}
      </Text>
      <Text fz="xl" fw={700}>
        {value}
      </Text>
      {detail ? <Text size="xs">{detail}</Text> : null}
    </Paper>
  );
}
