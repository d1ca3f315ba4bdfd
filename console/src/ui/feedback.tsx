import { Alert, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

/** A refusal or failure in words, with its stable code; FORBIDDEN says the key may not do this. */
export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const e = error instanceof ApiError ? error : null;
  return (
    <Alert color="red" title={t('error.title')} role="alert">
      <Text size="sm">
        {e?.code === 'FORBIDDEN' ? t('error.forbidden') + ' ' : ''}
        {error instanceof Error ? error.message : String(error)}
      </Text>
      {e ? (
        <Text size="xs" c="dimmed">
          {e.code}
        </Text>
      ) : null}
    </Alert>
  );
}

/** A page's loading state, announced to screen readers. */
export function Loading() {
  const { t } = useTranslation();
  return (
    <Center p="xl" role="status" aria-live="polite">
      <Loader size="sm" aria-hidden />
      <Text ml="sm">{t('loading')}</Text>
    </Center>
  );
}

/** A page's heading and optional intro: every page starts with one h1. */
export function PageHeader({ title, intro }: { title: string; intro?: string }) {
  return (
    <Stack gap={4} mb="md">
      <Title order={1} size="h2">
        {title}
      </Title>
      {intro ? <Text c="dimmed">{intro}</Text> : null}
    </Stack>
  );
}
