import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import './console.css';
import { createTheme, MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { currentKey, setKey } from './api/client';
import { accessOf, AccessProvider, fetchSession, type Session } from './api/session';
import './i18n';
import { Shell } from './shell/Shell';
import { SignIn } from './shell/SignIn';
import { Loading } from './ui/feedback';

const theme = createTheme({ primaryColor: 'indigo', primaryShade: 8, defaultRadius: 'sm' });
const queries = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 5_000 } },
});

/** Signs in (or restores this tab's key), then shows the console with what the key may do. */
function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(currentKey() !== null);

  useEffect(() => {
    if (currentKey() === null) return;
    fetchSession()
      .then(setSession, () => setKey(null))
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <Loading />;
  if (!session) return <SignIn onSignedIn={setSession} />;
  return (
    <AccessProvider access={accessOf(session)}>
      <Shell
        onSignOut={() => {
          setKey(null);
          queries.clear();
          setSession(null);
        }}
      />
    </AccessProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <QueryClientProvider client={queries}>
        <BrowserRouter basename="/console">
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
