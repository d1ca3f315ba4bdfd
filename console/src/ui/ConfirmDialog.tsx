import { Button, Group, Modal, Stack } from '@mantine/core';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A dialog that asks before acting: a title, its body (text, fields), and two buttons — keep (closes,
 * "Cancel" unless `keepLabel`) and `confirmLabel` (submits; red when `danger`, busy while `busy`). It is a
 * form, so Enter in a field confirms; `onConfirm` runs the action (the caller closes the dialog when done).
 */
export function ConfirmDialog({
  opened,
  onClose,
  title,
  confirmLabel,
  keepLabel,
  closeLabel,
  onConfirm,
  busy = false,
  danger = false,
  size = 'lg',
  children,
}: {
  opened: boolean;
  onClose(): void;
  title: string;
  confirmLabel: string;
  keepLabel?: string;
  /** The name of the dialog's close (×) button: the keep label unless given. */
  closeLabel?: string;
  onConfirm(): void;
  busy?: boolean;
  danger?: boolean;
  size?: string;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={title}
      size={size}
      closeButtonProps={{ 'aria-label': closeLabel ?? keepLabel ?? t('cancel') }}
    >
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          onConfirm();
        }}
      >
        <Stack>
          {children}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {keepLabel ?? t('cancel')}
            </Button>
            <Button type="submit" loading={busy} color={danger ? 'red' : undefined}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
