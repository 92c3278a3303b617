import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { EventsProvider, startLive } from './api/EventsProvider';
import { createQueryClient } from './api/queries';
import { completeLoginFromAddress, isSignedOut } from './api/session';
import { App } from './App';
import { ToastProvider } from './components/Toasts';
import { preloadFirstPage } from './routes/preload';
import { AppsProvider } from './state/AppsProvider';
import { parseRoute } from './state/router';
import { applyTheme } from './state/theme';
import './styles/base.css';
import './styles/shell.css';
import './styles/components.css';
import './styles/pages.css';
import './styles/work.css';
import './styles/workspace.css';
import './styles/settings.css';
import './styles/agents.css';
import './styles/performance.css';
import './styles/logs.css';
import './styles/system.css';

// Before the first render, so the page never flashes the wrong theme (no inline script: CSP).
applyTheme();

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
const queryClient = createQueryClient();

// A login link (`#login=…`) is traded for this browser's session before anything asks the daemon.
// Then the live events connect, and the first page's data is asked for, both before the first
// render (which waits for the page's chunk, so it paints without a fallback): nothing that changes
// while the chunk comes is missed.
let live: ReturnType<typeof startLive> | undefined;
void completeLoginFromAddress()
  .then(() => {
    live = startLive(queryClient);
    return isSignedOut() ? undefined : preloadFirstPage(queryClient, parseRoute(window.location.hash));
  })
  .finally(() => {
    createRoot(root).render(
      <StrictMode>
        <ToastProvider>
          <QueryClientProvider client={queryClient}>
            <EventsProvider live={live}>
              <AppsProvider>
                <App />
              </AppsProvider>
            </EventsProvider>
          </QueryClientProvider>
        </ToastProvider>
      </StrictMode>,
    );
  });
