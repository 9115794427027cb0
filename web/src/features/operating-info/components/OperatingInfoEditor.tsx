import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useMemo, useRef, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { ErrorSummary } from "@/components/ErrorSummary";
import { Failure } from "@/components/Failure";
import type { OperatingInfoEditorQuery } from "@/gql/graphql";
import { useAuth } from "@/lib/auth/context";
import { formatDateTime } from "@/lib/dates";
import { DraftStore } from "@/lib/drafts";
import { PlacedErrors } from "@/lib/forms/user-errors";
import { useDraft } from "@/lib/use-draft";
import { SubmitOperatingInfoMutation } from "../api/operations";
import { formFromPublished, newIdempotencyKey, toInput, type OperatingInfoForm } from "../form";
import { DocumentFields, FIELD_LABELS } from "./DocumentFields";
import { ErrorsContext } from "./fields";
import { Preview } from "./Preview";

export type EditedEstablishment = Extract<NonNullable<OperatingInfoEditorQuery["node"]>, { operatingInfo?: unknown }>;
type Submission = OperatingInfoEditorQuery["mySubmissions"]["edges"][number]["node"];

interface Edited {
  form: OperatingInfoForm;
  /** Sent with the submission: the same for a retry of the same content, new after any edit. */
  idempotencyKey: string;
}

const submitted = () => new DraftStore(window.localStorage);

export function OperatingInfoEditor({
  establishment,
  submissions,
  onSubmitted,
}: {
  establishment: EditedEstablishment;
  submissions: Submission[];
  onSubmitted(): void;
}) {
  const { account } = useAuth();
  const owner = account ?? "anonyme";
  const published = establishment.operatingInfo;
  const fresh = (): Edited => ({ form: formFromPublished(published), idempotencyKey: newIdempotencyKey() });
  const draft = useDraft<Edited>(`modalites:${establishment.id}`, fresh);
  const [errors, setErrors] = useState(new PlacedErrors());
  const [notice, setNotice] = useState<string | null>(null);
  const [result, submit] = useMutation(SubmitOperatingInfoMutation);
  const sending = useRef(false);
  const latest = useMemo(
    () => [...submissions].sort((a, b) => Date.parse(b.submittedAt) - Date.parse(a.submittedAt))[0],
    [submissions],
  );

  const setForm = (change: (form: OperatingInfoForm) => OperatingInfoForm) =>
    draft.setValue((edited) => ({ form: change(edited.form), idempotencyKey: newIdempotencyKey() }));

  async function send(event: FormEvent) {
    event.preventDefault();
    if (sending.current) return; // a double click sends once (and the key would make a replay harmless anyway)
    const { input, problems } = toInput(draft.value.form);
    const local = new PlacedErrors(problems, "operatingInfo.");
    setErrors(local);
    setNotice(null);
    if (!local.empty) return;
    sending.current = true;
    try {
      const answer = await submit({
        input: {
          establishmentId: establishment.id,
          operatingInfo: input,
          basedOnVersion: published?.version ?? null,
          idempotencyKey: draft.value.idempotencyKey,
        },
      });
      const payload = answer.data?.submitOperatingInfo;
      if (!payload) return; // network, 5xx, expired session: the draft stays on this device
      setErrors(new PlacedErrors(payload.userErrors, "operatingInfo."));
      if (payload.submission) {
        submitted().save(owner, `soumission:${payload.submission.id}`, draft.value.form);
        draft.clear();
        setNotice(`Votre saisie (version ${payload.submission.version}) est transmise à votre Caf (${payload.submission.statusLabel}).`);
        onSubmitted();
      }
    } finally {
      sending.current = false;
    }
  }

  function correct(submission: Submission) {
    const copy = submitted().load<OperatingInfoForm>(owner, `soumission:${submission.id}`);
    draft.setValue({ form: copy ?? formFromPublished(published), idempotencyKey: newIdempotencyKey() });
    setNotice(
      copy
        ? "La saisie refusée est chargée dans le formulaire : corrigez-la puis soumettez-la à nouveau."
        : "La saisie refusée n'est pas conservée sur cet appareil : le formulaire repart de la version publiée.",
    );
    setErrors(new PlacedErrors());
    document.getElementById("formulaire-modalites")?.focus();
  }

  return (
    <>
      <p>
        {published
          ? `Version publiée : ${published.version}, le ${formatDateTime(published.publishedAt)}.`
          : "Aucune version publiée pour le moment."}
      </p>
      {latest && <LatestSubmission submission={latest} onCorrect={() => correct(latest)} />}
      {draft.restored && (
        <Alert
          small
          severity="info"
          role={undefined}
          className="fr-mb-3w"
          description={
            <>
              Une saisie non envoyée a été retrouvée sur cet appareil.{" "}
              <button type="button" className="fr-link" onClick={() => draft.reset(fresh())}>
                Repartir de la version publiée
              </button>
            </>
          }
        />
      )}
      {notice && (
        <Alert className="fr-mb-3w" small severity="success" role="status" description={notice} />
      )}
      {result.error && <Failure error={result.error} title="Votre saisie n'a pas été transmise" />}
      <ErrorSummary errors={errors} labels={(path) => FIELD_LABELS[path.replace(/\[\d+\].*$/, "").split(".")[0]!]} />
      <ErrorsContext.Provider value={errors}>
        <form id="formulaire-modalites" tabIndex={-1} onSubmit={send} noValidate aria-label={`Modalités de fonctionnement de ${establishment.name}`}>
          <DocumentFields form={draft.value.form} setForm={setForm} />
          <Button type="submit" disabled={result.fetching} className="fr-my-3w">
            {result.fetching ? "Envoi…" : "Soumettre à la validation de la Caf"}
          </Button>
        </form>
      </ErrorsContext.Provider>
      <Preview name={establishment.name} form={draft.value.form} />
    </>
  );
}

function LatestSubmission({ submission, onCorrect }: { submission: Submission; onCorrect(): void }) {
  const when = `version ${submission.version}, soumise le ${formatDateTime(submission.submittedAt)}`;
  if (submission.status === "REJECTED") {
    return (
      <Alert
        className="fr-mb-3w"
        severity="error"
        role={undefined}
        title={`Dernière saisie refusée par la Caf (${when})`}
        description={
          <>
            {submission.reasons && submission.reasons.length > 0 && (
              <>
                <p className="fr-mb-1v">Motifs :</p>
                <ul>
                  {submission.reasons.map((reason) => (
                    <li key={reason.code}>{reason.label}</li>
                  ))}
                </ul>
              </>
            )}
            {submission.comment && <p>Commentaire de la Caf : « {submission.comment} »</p>}
            <Button priority="secondary" size="small" onClick={onCorrect}>
              Corriger et soumettre à nouveau
            </Button>
          </>
        }
      />
    );
  }
  const severity = submission.status === "APPROVED" ? "success" : "info";
  return (
    <p className="fr-mb-3w">
      Dernière saisie ({when}) : <Badge severity={severity} small>{submission.statusLabel}</Badge>
    </p>
  );
}
