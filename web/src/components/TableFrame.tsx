import type { ReactNode } from "react";

// DSFR's table frame. The container is a focusable region named after the table: at 200 % zoom a wide table
// scrolls sideways inside it, and a keyboard must be able to scroll it too (WCAG 2.1.1, axe's
// scrollable-region-focusable).
export function TableFrame({ label, noCaption = false, children }: { label: string; noCaption?: boolean; children: ReactNode }) {
  return (
    <div className={`fr-table fr-table--bordered${noCaption ? " fr-table--no-caption" : ""}`}>
      <div className="fr-table__wrapper">
        <div className="fr-table__container" tabIndex={0} role="region" aria-label={label}>
          <div className="fr-table__content">{children}</div>
        </div>
      </div>
    </div>
  );
}
