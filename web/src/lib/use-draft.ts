import { useCallback, useEffect, useRef, useState } from "react";
import { useAuth } from "@/lib/auth/context";
import { DraftStore } from "@/lib/drafts";

let store: DraftStore | null = null;
function drafts(): DraftStore {
  store ??= new DraftStore(window.localStorage);
  return store;
}

export interface Draft<T> {
  value: T;
  setValue(next: T | ((previous: T) => T)): void;
  /** After the API accepted it. */
  clear(): void;
  /** The value came from a draft kept on this device. */
  restored: boolean;
  /** Start again from `initial` (a fresh draft). */
  reset(initial: T): void;
}

/** A form's state, saved on every change under the account and `screen` (see DraftStore). */
export function useDraft<T>(screen: string, initial: () => T): Draft<T> {
  const { account } = useAuth();
  const owner = account ?? "anonyme";
  const [restored, setRestored] = useState(() => drafts().load<T>(owner, screen) !== null);
  const [value, setState] = useState<T>(() => drafts().load<T>(owner, screen) ?? initial());
  const dirty = useRef(false);

  useEffect(() => {
    if (dirty.current) drafts().save(owner, screen, value);
  }, [owner, screen, value]);

  const setValue = useCallback((next: T | ((previous: T) => T)) => {
    dirty.current = true;
    setState(next);
  }, []);
  const clear = useCallback(() => {
    dirty.current = false;
    drafts().clear(owner, screen);
    setRestored(false);
  }, [owner, screen]);
  const reset = useCallback(
    (fresh: T) => {
      dirty.current = false;
      drafts().clear(owner, screen);
      setRestored(false);
      setState(fresh);
    },
    [owner, screen],
  );
  return { value, setValue, clear, restored, reset };
}
