import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { ErrorSummary } from "@/components/ErrorSummary";
import { Failure } from "@/components/Failure";
import { formatDay, todayInParis } from "@/lib/dates";
import { fieldId, PlacedErrors } from "@/lib/forms/user-errors";
import { CloseEstablishmentMutation } from "../api/operations";
import { closingNotice } from "../form";

const LABELS: Record<string, string> = { closedOn: "Date de fermeture", reason: "Motif de la fermeture" };

/** Closing an establishment, confirmed once the agent has read when it leaves the public catalogue. */
export function CloseEstablishment({ id, name, onClosed, onCancel }: { id: string; name: string; onClosed(name: string, closedOn: string): void; onCancel(): void }) {
  const today = todayInParis();
  const [closedOn, setClosedOn] = useState(today);
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState(new PlacedErrors());
  const [state, close] = useMutation(CloseEstablishmentMutation);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []); // « Fermer » was pressed in the table: the confirmation is next

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!closedOn) {
      setErrors(new PlacedErrors([{ field: "closedOn", message: "Indiquez le jour de la fermeture." }]));
      return;
    }
    const result = await close({ input: { establishmentId: id, closedOn, reason } });
    const payload = result.data?.closeEstablishment;
    if (!payload) return;
    setErrors(new PlacedErrors(payload.userErrors));
    if (payload.establishmentId) onClosed(name, closedOn);
  }

  const error = (path: string) => {
    const message = errors.under(path);
    return message ? { state: "error" as const, stateRelatedMessage: message } : {};
  };
  return (
    <section aria-labelledby="fermeture" className="fr-mb-6w">
      <h2 id="fermeture" className="fr-h4" ref={heading} tabIndex={-1}>
        Fermer « {name} »
      </h2>
      {state.error && <Failure error={state.error} />}
      <ErrorSummary errors={errors} labels={(path) => LABELS[path]} />
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Input
          label={LABELS.closedOn}
          hintText="À partir de ce jour, il n'est plus affiché."
          {...error("closedOn")}
          nativeInputProps={{ id: fieldId("closedOn"), type: "date", value: closedOn, onChange: (e) => setClosedOn(e.target.value) }}
        />
        <Input
          label={LABELS.reason}
          hintText="Par exemple : cessation d'activité."
          textArea
          {...error("reason")}
          nativeTextAreaProps={{ id: fieldId("reason"), value: reason, maxLength: 1000, rows: 3, onChange: (e) => setReason(e.target.value) }}
        />
        {closedOn && (
          <Alert className="fr-mb-3w" severity="warning" small role={undefined} description={closingNotice(closedOn, today, formatDay)} />
        )}
        <ul className="fr-btns-group fr-btns-group--inline-md">
          <li>
            <Button type="submit" disabled={state.fetching}>
              Confirmer la fermeture
            </Button>
          </li>
          <li>
            <Button type="button" priority="secondary" onClick={onCancel}>
              Annuler
            </Button>
          </li>
        </ul>
      </form>
    </section>
  );
}
