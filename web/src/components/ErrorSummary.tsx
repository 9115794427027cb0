import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { useEffect, useRef } from "react";
import { fieldId, type PlacedErrors } from "@/lib/forms/user-errors";

/**
 * The refusals of a submission, at the top of the form: announced (role="alert"), focused, each linking to its
 * control, where the same message stands beside the field.
 */
export function ErrorSummary({ errors, labels }: { errors: PlacedErrors; labels?: (path: string) => string | undefined }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!errors.empty) ref.current?.focus();
  }, [errors]);
  if (errors.empty) return null;
  const placed = errors.entries();
  return (
    <div ref={ref} tabIndex={-1} className="fr-mb-4w">
      <Alert
        severity="error"
        title={placed.length + errors.general.length > 1 ? "Votre envoi a été refusé pour les raisons suivantes" : "Votre envoi a été refusé"}
        description={
          <ul>
            {errors.general.map((message) => (
              <li key={message}>{message}</li>
            ))}
            {placed.map(({ path, message }) => (
              <li key={`${path}:${message}`}>
                <a href={`#${fieldId(path)}`}>{labels?.(path) ? `${labels(path)} : ` : ""}{message}</a>
              </li>
            ))}
          </ul>
        }
      />
    </div>
  );
}
