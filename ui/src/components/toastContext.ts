import { createContext, useContext } from 'react';

export type ToastTone = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  message?: string;
}

export interface Toaster {
  show: (tone: ToastTone, title: string, message?: string) => void;
}

export const ToastContext = createContext<Toaster | null>(null);

/** Shows status and error messages as toasts. */
export function useToast(): Toaster {
  const toaster = useContext(ToastContext);
  if (!toaster) throw new Error('useToast outside <ToastProvider>');
  return toaster;
}
