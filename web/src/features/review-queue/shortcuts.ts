/** The queue's single-key shortcuts (WCAG 2.1.4: they can be switched off, and never fire while typing). */
export type ShortcutAction = "next" | "previous" | "claim" | "approve" | "reject" | "help";

export const SHORTCUTS: { key: string; action: ShortcutAction; label: string }[] = [
  { key: "j", action: "next", label: "Élément suivant" },
  { key: "k", action: "previous", label: "Élément précédent" },
  { key: "c", action: "claim", label: "Prendre en charge" },
  { key: "a", action: "approve", label: "Valider" },
  { key: "r", action: "reject", label: "Refuser (ouvre le formulaire des motifs)" },
  { key: "?", action: "help", label: "Afficher ou masquer cette liste" },
];

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

function typingIn(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== "string") return false;
  const element = target as HTMLElement;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName) || element.isContentEditable === true;
}

/** The action a key press asks for, or null (a modifier held, a form control focused, or any other key). */
export function shortcutOf(event: KeyLike): ShortcutAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return null;
  return SHORTCUTS.find((s) => s.key === event.key)?.action ?? null;
}

const STORAGE_KEY = "structures.shortcuts";

export function shortcutsEnabled(storage: Pick<Storage, "getItem">): boolean {
  return storage.getItem(STORAGE_KEY) !== "off";
}

export function setShortcutsEnabled(storage: Pick<Storage, "setItem">, enabled: boolean): void {
  storage.setItem(STORAGE_KEY, enabled ? "on" : "off");
}
