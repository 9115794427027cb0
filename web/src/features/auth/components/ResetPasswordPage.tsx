import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation } from "urql";
import { ErrorSummary } from "@/components/ErrorSummary";
import { Failure } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import { PlacedErrors } from "@/lib/forms/user-errors";
import { CreateChallengeMutation, RequestPasswordResetMutation } from "../api/operations";

const LABELS: Record<string, string> = { identifier: "Identifiant", "challenge.answer": "Texte de l'image" };

export function ResetPasswordPage() {
  usePageTitle("Mot de passe oublié");
  const [identifier, setIdentifier] = useState("");
  const [answer, setAnswer] = useState("");
  const [errors, setErrors] = useState(new PlacedErrors());
  const [sent, setSent] = useState<string | null>(null);
  const [challenge, createChallenge] = useMutation(CreateChallengeMutation);
  const [result, requestReset] = useMutation(RequestPasswordResetMutation);
  const current = challenge.data?.createChallenge.challenge;

  useEffect(() => {
    void createChallenge({});
  }, [createChallenge]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!current) return;
    const reply = await requestReset({ input: { identifier: identifier.trim(), challenge: { id: current.id, answer: answer.trim() } } });
    const payload = reply.data?.requestPasswordReset;
    if (!payload) return;
    setErrors(new PlacedErrors(payload.userErrors));
    setAnswer("");
    if (payload.userErrors.length === 0) setSent(payload.message);
    else void createChallenge({}); // an image is good for one try
  }

  if (sent) {
    return (
      <div className="fr-grid-row fr-grid-row--center">
        <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
          <h1>Mot de passe oublié</h1>
          <Alert severity="success" role="status" title="Demande enregistrée" description={sent} />
          <p className="fr-mt-3w">
            <Link to="/connexion">Retour à la connexion</Link>
          </p>
        </div>
      </div>
    );
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <h1>Mot de passe oublié</h1>
        <p>
          Indiquez votre identifiant et recopiez le texte de l'image : un nouveau mot de passe provisoire est envoyé à
          l'adresse de votre compte. Votre mot de passe actuel reste valable tant que le nouveau n'a pas servi.
        </p>
        {(result.error ?? challenge.error) && <Failure error={(result.error ?? challenge.error)!} />}
        <ErrorSummary errors={errors} labels={(path) => LABELS[path]} />
        <form onSubmit={submit} noValidate>
          <Input
            label="Identifiant"
            state={errors.under("identifier") ? "error" : "default"}
            stateRelatedMessage={errors.under("identifier")}
            nativeInputProps={{
              id: "f-identifier",
              autoComplete: "username",
              required: true,
              value: identifier,
              onChange: (e) => setIdentifier(e.target.value),
            }}
          />
          <fieldset className="fr-fieldset" aria-describedby="challenge-help">
            <legend className="fr-fieldset__legend">Vérification : texte à recopier</legend>
            <p id="challenge-help" className="fr-hint-text fr-fieldset__element">
              Recopiez les 6 caractères de couleur terne, séparés par des caractères leurres de couleur vive. Si vous ne
              pouvez pas lire l'image, écoutez le même texte épelé. L'image est valable 10 minutes.
            </p>
            <div className="fr-fieldset__element">
              {current ? (
                <img src={current.image} alt="Texte à recopier (une version audio est proposée ci-dessous)" />
              ) : (
                <p role="status">Chargement de l'image…</p>
              )}
            </div>
            {current?.audioDataUrl && (
              <div className="fr-fieldset__element">
                <p className="fr-mb-1v" id="challenge-audio-label">
                  Version audio (environ 25 secondes)
                </p>
                <audio controls preload="none" src={current.audioDataUrl} aria-labelledby="challenge-audio-label" />
              </div>
            )}
            <div className="fr-fieldset__element">
              <Button type="button" priority="tertiary" iconId="fr-icon-refresh-line" onClick={() => void createChallenge({})}>
                Autre image
              </Button>
            </div>
            <div className="fr-fieldset__element">
              <Input
                label="Texte de l'image"
                state={errors.under("challenge.answer") ? "error" : "default"}
                stateRelatedMessage={errors.under("challenge.answer")}
                nativeInputProps={{
                  id: "f-challenge-answer",
                  autoComplete: "off",
                  autoCapitalize: "characters",
                  spellCheck: false,
                  required: true,
                  value: answer,
                  onChange: (e) => setAnswer(e.target.value),
                }}
              />
            </div>
          </fieldset>
          <Button type="submit" disabled={result.fetching || !current}>
            {result.fetching ? "Envoi…" : "Recevoir un nouveau mot de passe"}
          </Button>
          <p className="fr-mt-3w">
            <Link to="/connexion">Retour à la connexion</Link>
          </p>
        </form>
      </div>
    </div>
  );
}
