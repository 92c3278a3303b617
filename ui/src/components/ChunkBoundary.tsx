import { Component, type ReactNode } from 'react';
import { ChunkLoadError } from '../routes/lazyPage';
import { Banner } from './Feedback';

interface State {
  error: unknown;
}

/**
 * Shows a page whose code could not be loaded as a failure with a way out (reload), instead of
 * leaving the window blank. Any other error is passed on as it was.
 */
export class ChunkBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error };
  }

  componentDidCatch(error: unknown) {
    // Shown: opening the page again asks for its code again.
    if (error instanceof ChunkLoadError) error.forget();
  }

  render() {
    const { error } = this.state;
    if (error === null) return this.props.children;
    if (!(error instanceof ChunkLoadError)) throw error;
    return (
      <div className="page-loading" data-testid="page-load-failed">
        <Banner
          tone="error"
          action={
            <button type="button" className="button" onClick={() => window.location.reload()}>
              Reload
            </button>
          }
        >
          {error.message}. Check the connection to Refine, then reload.
        </Banner>
      </div>
    );
  }
}
