import { Button } from "@codegouvfr/react-dsfr/Button";
import { useEffect, useRef, useState, type FormEvent } from "react";

/** Reject (or withdraw) with one or more of the convention's reasons (art. 2) and a comment for the agent. */
export function RejectForm({
  reasons,
  sending,
  onReject,
  onCancel,
  id = "refus",
  title = "Refuser la saisie",
  commentLabel = "Commentaire pour l'agent",
}: {
  reasons: { code: string; label: string }[];
  sending: boolean;
  onReject(codes: string[], comment: string): void;
  onCancel(): void;
  id?: string;
  title?: string;
  commentLabel?: string;
}) {
  const [chosen, setChosen] = useState<string[]>([]);
  const [comment, setComment] = useState("");
  const [missing, setMissing] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (chosen.length === 0) {
      setMissing(true);
      first.current?.focus();
      return;
    }
    onReject(chosen, comment);
  }

  return (
    <form onSubmit={submit} noValidate className="fr-mb-4w" aria-labelledby={`${id}-titre`}>
      <h3 id={`${id}-titre`} className="fr-h5">
        {title}
      </h3>
      <fieldset className={`fr-fieldset${missing ? " fr-fieldset--error" : ""}`} aria-describedby={missing ? `${id}-motifs-erreur` : undefined}>
        <legend className="fr-fieldset__legend">Motifs (convention, article 2)</legend>
        {reasons.map((reason, index) => (
          <div key={reason.code} className="fr-fieldset__element">
            <div className="fr-checkbox-group">
              <input
                ref={index === 0 ? first : undefined}
                type="checkbox"
                id={`${id}-motif-${reason.code}`}
                checked={chosen.includes(reason.code)}
                onChange={(e) => setChosen((c) => (e.target.checked ? [...c, reason.code] : c.filter((x) => x !== reason.code)))}
              />
              <label className="fr-label" htmlFor={`${id}-motif-${reason.code}`}>
                {reason.label}
              </label>
            </div>
          </div>
        ))}
        {missing && (
          <p id={`${id}-motifs-erreur`} className="fr-message fr-message--error" role="alert">
            Choisissez au moins un motif.
          </p>
        )}
      </fieldset>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${id}-commentaire`}>
          {commentLabel}
          <span className="fr-hint-text">Ce qu'il doit corriger ; il le lira avec les motifs.</span>
        </label>
        <textarea id={`${id}-commentaire`} className="fr-input" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
      </div>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button type="submit" disabled={sending}>
            {title}
          </Button>
        </li>
        <li>
          <Button type="button" priority="secondary" onClick={onCancel}>
            Annuler
          </Button>
        </li>
      </ul>
    </form>
  );
}
