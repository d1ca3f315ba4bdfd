import { Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { setKey } from '../api/client';
import { fetchSession, type Session } from '../api/session';
import { LanguagePicker } from './LanguagePicker';

/** The sign-in form: a console or admin key, checked with the hub (`GET /admin/v1/session`). */
export function SignIn({ onSignedIn }: { onSignedIn(session: Session): void }) {
  const { t } = useTranslation();
  const [key, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setKey(key.trim());
    try {
      onSignedIn(await fetchSession());
    } catch (err) {
      setKey(null);
      setError(t('signIn.refused', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={420} maw="100%">
        <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
          <Stack>
            <Title order={1} size="h2" id="sign-in-title">
              {t('app.title')}
            </Title>
            <Text>{t('signIn.intro')}</Text>
            <PasswordInput
              label={t('signIn.key')}
              value={key}
              onChange={(e) => setValue(e.currentTarget.value)}
              error={error}
              autoComplete="off"
              required
              data-autofocus
            />
            <Button type="submit" loading={busy}>
              {t('signIn.submit')}
            </Button>
            <LanguagePicker />
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
