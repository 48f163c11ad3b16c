// Destructive actions ask first. `confirmAction` opens the one confirm dialog (ConfirmDialog.svelte,
// mounted by App.svelte) and resolves with the choice: 'confirm', an alternative's value, or null when
// the person cancelled (Esc, the Cancel button, or a click outside).

/** A second, clearly different way to go on (e.g. "Remove and forget its tags"). */
export interface ConfirmAlternative {
  value: string;
  label: string;
  /** Shown under the buttons, so the difference is spelled out. */
  detail?: string;
}

/** What the dialog asks. */
export interface ConfirmRequest {
  title: string;
  message: string;
  /** The confirm button names the action: "Remove folder", "Delete label". */
  confirm: string;
  /** Styles the confirm button as destructive (default true). */
  danger?: boolean;
  alternative?: ConfirmAlternative;
}

interface Open extends ConfirmRequest {
  id: number;
  resolve: (choice: string | null) => void;
}

class Confirmer {
  /** The open request, if any. */
  current = $state<Open | null>(null);
  #next = 1;

  /** Opens the dialog (a request already open is cancelled) and resolves with the choice. */
  ask(request: ConfirmRequest): Promise<string | null> {
    this.current?.resolve(null);
    return new Promise((resolve) => {
      const id = this.#next++;
      this.current = {
        ...request,
        id,
        resolve: (choice) => {
          if (this.current?.id === id) this.current = null;
          resolve(choice);
        },
      };
    });
  }
}

/** The one confirm dialog's state. */
export const confirmer = new Confirmer();

/** Asks before a destructive action; resolves 'confirm', an alternative's value, or null when cancelled. */
export function confirmAction(request: ConfirmRequest): Promise<string | null> {
  return confirmer.ask(request);
}
