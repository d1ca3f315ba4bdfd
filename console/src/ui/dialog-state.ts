import { useCallback, useRef, useState } from 'react';

/**
 * Which dialog is open (null: none), for dialogs mounted only while open (each opening starts afresh, with
 * its own idempotency key). Closing puts the keyboard focus back where it was when the dialog opened — the
 * button that opened it — as a dialog that stays mounted would (WCAG 2.4.3, focus order).
 * @example const [open, show, close] = useDialogState<'contact' | 'merge'>();
 */
export function useDialogState<T>(): [T | null, (which: T) => void, () => void] {
  const [open, setOpen] = useState<T | null>(null);
  const opener = useRef<HTMLElement | null>(null);
  const show = useCallback((which: T) => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setOpen(which);
  }, []);
  const close = useCallback(() => {
    setOpen(null);
    const back = opener.current;
    opener.current = null;
    // After the dialog has gone (and its focus trap with it).
    if (back) setTimeout(() => back.focus(), 0);
  }, []);
  return [open, show, close];
}
