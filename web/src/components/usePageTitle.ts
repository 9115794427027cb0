import { useEffect } from "react";

/** Each screen names itself in the tab's title (RGAA 8.6): « Disponibilités — Espace professionnel ». */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Espace professionnel monenfant.fr`;
  }, [title]);
}
