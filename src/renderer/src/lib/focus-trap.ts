// Keeps keyboard focus inside a modal (the first-run dialog, the shortcuts overlay): Tab and Shift+Tab
// wrap around, focus that escapes (a click on the backdrop) comes back, Esc calls `onescape`, and no key
// reaches the window's shortcuts behind it. Focus returns to where it was when the modal goes away.
import type { Attachment } from 'svelte/attachments';

/** What can take focus inside `root`, in tab order (disabled and hidden controls left out). */
export function focusables(root: HTMLElement): HTMLElement[] {
  const sel =
    'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll<HTMLElement>(sel)].filter((el) => el.getClientRects().length > 0);
}

/**
 * An attachment (`{@attach trapFocus(() => close())}`) for a modal's outermost element. The first
 * focusable control (or the element marked `data-autofocus`) gets focus when it mounts. `closeKeys`
 * close it too (the shortcuts overlay closes on the `?` that opened it); they are handled here because
 * the keys never bubble past this element to Svelte's delegated handlers.
 */
export function trapFocus(onescape: () => void, closeKeys: readonly string[] = []): Attachment<HTMLElement> {
  return (node) => {
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const first = (): HTMLElement | undefined => node.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(node)[0];
    queueMicrotask(() => {
      if (!node.contains(document.activeElement)) first()?.focus();
    });

    const onkeydown = (e: KeyboardEvent): void => {
      // Nothing behind the modal hears its keys (view shortcuts, Ctrl+Z, the library's / and Esc).
      e.stopPropagation();
      if (e.key === 'Escape' || closeKeys.includes(e.key)) {
        e.preventDefault();
        onescape();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = focusables(node);
      const head = items[0];
      const tail = items.at(-1);
      if (!head || !tail) return;
      const at = document.activeElement;
      if (!node.contains(at)) {
        e.preventDefault();
        head.focus();
      } else if (e.shiftKey && at === head) {
        e.preventDefault();
        tail.focus();
      } else if (!e.shiftKey && at === tail) {
        e.preventDefault();
        head.focus();
      }
    };
    const onfocusout = (e: FocusEvent): void => {
      const next = e.relatedTarget;
      if (next instanceof Node && !node.contains(next)) first()?.focus();
    };
    // A click on the backdrop would drop focus on <body>: keep it in the modal.
    const onpointerdown = (e: PointerEvent): void => {
      if (e.target === node) e.preventDefault();
    };
    node.addEventListener('keydown', onkeydown);
    node.addEventListener('focusout', onfocusout);
    node.addEventListener('pointerdown', onpointerdown);
    return () => {
      node.removeEventListener('keydown', onkeydown);
      node.removeEventListener('focusout', onfocusout);
      node.removeEventListener('pointerdown', onpointerdown);
      if (returnTo?.isConnected) returnTo.focus();
    };
  };
}
