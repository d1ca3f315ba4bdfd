import { Alert, AppShell, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink as RouterLink, Route, Routes } from 'react-router';
import { AREAS, useAccess } from '../api/session';
import { PAGES } from '../pages/registry';
import { PageHeader } from '../ui/feedback';
import { LanguagePicker } from './LanguagePicker';

/**
 * The signed-in console: a header (who, language, sign out), the navigation of the pages this key may open,
 * and the page. Below 62em (992 px) the navigation folds behind a button, so a store tablet (800 px)
 * gives the page its full width. A key that opens no page (no console scopes) is told so, and what to
 * ask for.
 */
export function Shell({ onSignOut }: { onSignOut(): void }) {
  const { t } = useTranslation();
  const access = useAccess();
  const [opened, { toggle, close }] = useDisclosure();
  const pages = PAGES.filter((p) => p.allowed(access));
  const { session } = access;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: 'md', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="md" size="sm" aria-label={t('nav.toggle')} />
            <Title order={2} size="h4">
              {t('app.title')}
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="md" data-testid="signed-in-as">
              {t('signedInAs', { name: session.name })} ({t(`kind.${session.kind}`)})
            </Text>
            <LanguagePicker />
            <Button variant="default" size="xs" onClick={onSignOut}>
              {t('signOut')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label={t('nav.label')}>
        <Stack gap={2}>
          {pages.map((p) => (
            <NavLink
              key={p.path}
              component={RouterLink}
              to={`/${p.path}`}
              label={t(p.label)}
              onClick={close}
            />
          ))}
        </Stack>
        <Text size="xs" c="dimmed" mt="auto" p="xs">
          {session.locations === null
            ? t('locations.all')
            : t('locations.scoped', { list: session.locations.join(', ') })}
        </Text>
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes>
          <Route index element={pages[0] ? <Navigate to={`/${pages[0].path}`} replace /> : <NoAreas />} />
          {PAGES.map((p) => (
            <Route
              key={p.path}
              path={`/${p.path}/*`}
              element={
                p.allowed(access) ? <p.Component /> : pages.length === 0 ? <NoAreas /> : <NotAllowed />
              }
            />
          ))}
          <Route path="*" element={<PageHeader title={t('notFound.title')} />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}

function NotAllowed() {
  const { t } = useTranslation();
  return <PageHeader title={t('notAllowed.title')} intro={t('notAllowed.body')} />;
}

/** What a key without console scopes sees: why the console shows nothing, and which scopes to ask for. */
function NoAreas() {
  const { t } = useTranslation();
  return (
    <Stack gap="sm">
      <PageHeader title={t('noAreas.title')} />
      <Alert color="blue" variant="light" role="status">
        <Text size="sm">{t('noAreas.body', { areas: AREAS.map((a) => t(`area.${a}`)).join(', ') })}</Text>
      </Alert>
    </Stack>
  );
}
