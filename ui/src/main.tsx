import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { EventsProvider } from './api/EventsProvider';
import { createQueryClient } from './api/queries';
import { completeLoginFromAddress } from './api/session';
import { App } from './App';
import { ToastProvider } from './components/Toasts';
import { AppsProvider } from './state/AppsProvider';
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
void completeLoginFromAddress().finally(() => {
  createRoot(root).render(
    <StrictMode>
      <ToastProvider>
        <QueryClientProvider client={queryClient}>
          <EventsProvider>
            <AppsProvider>
              <App />
            </AppsProvider>
          </EventsProvider>
        </QueryClientProvider>
      </ToastProvider>
    </StrictMode>,
  );
});
