import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { PasswordInput, type PasswordInputProps } from "@codegouvfr/react-dsfr/blocks/PasswordInput";
import { useEffect, useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { ErrorSummary } from "@/components/ErrorSummary";
import { Failure } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import { useAuth } from "@/lib/auth/context";
import { PlacedErrors } from "@/lib/forms/user-errors";
import { ChangePasswordMutation, PasswordCheckQuery } from "../api/operations";
import { MIN_LENGTH, passwordHints } from "../password-hints";

/** How long the person must pause before the candidate is sent for the policy's verdict. */
const CHECK_PAUSE_MS = 400;

const LABELS: Record<string, string> = { currentPassword: "Mot de passe actuel", newPassword: "Nouveau mot de passe" };

export function ChangePasswordPage() {
  usePageTitle("Choisir votre mot de passe");
  const auth = useAuth();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? "/";
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [errors, setErrors] = useState(new PlacedErrors());
  const [result, change] = useMutation(ChangePasswordMutation);
  const mismatch = confirmation !== "" && confirmation !== next;
  const [paused, setPaused] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setPaused(next), CHECK_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [next]);
  const [check] = useQuery({
    query: PasswordCheckQuery,
    variables: { password: paused },
    pause: [...paused].length < MIN_LENGTH || auth.status === "signed-out" || auth.status === "expired",
    requestPolicy: "network-only",
  });
  const verdict = paused === next ? (check.data?.passwordCheck ?? null) : null;

  if (auth.status === "signed-out" || auth.status === "expired") return <Navigate to="/connexion" replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== confirmation) return;
    const answer = await change({ input: { currentPassword: current, newPassword: next } });
    const payload = answer.data?.changePassword;
    if (!payload) return;
    setErrors(new PlacedErrors(payload.userErrors));
    if (payload.session && auth.account) {
      auth.signIn(payload.session, auth.account);
      navigate(from === "/mot-de-passe" ? "/" : from, { replace: true });
    }
  }

  const serverMessages = (path: string): PasswordInputProps["messages"] =>
    errors.at(path).map((message) => ({ severity: "error", message }));

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <h1>Choisir votre mot de passe</h1>
        {auth.status === "must-change-password" && (
          <Alert
            className="fr-mb-3w"
            severity="info"
            role={undefined}
            small
            description="Le mot de passe reçu par courriel est provisoire : choisissez le vôtre pour accéder à l'espace professionnel."
          />
        )}
        {result.error && <Failure error={result.error} />}
        <ErrorSummary errors={errors} labels={(path) => LABELS[path]} />
        <form onSubmit={submit} noValidate>
          <PasswordInput
            label="Mot de passe actuel (ou celui reçu par courriel)"
            messages={serverMessages("currentPassword")}
            nativeInputProps={{
              id: "f-currentPassword",
              autoComplete: "current-password",
              required: true,
              value: current,
              onChange: (e) => setCurrent(e.target.value),
            }}
          />
          <PasswordInput
            label="Nouveau mot de passe"
            hintText="Une phrase de plusieurs mots peu courants est facile à retenir et difficile à deviner."
            messagesHint="Votre mot de passe doit :"
            messages={[...passwordHints(next, verdict), ...(serverMessages("newPassword") ?? [])]}
            nativeInputProps={{
              id: "f-newPassword",
              autoComplete: "new-password",
              required: true,
              value: next,
              onChange: (e) => setNext(e.target.value),
            }}
          />
          <PasswordInput
            label="Confirmation du nouveau mot de passe"
            messages={mismatch ? [{ severity: "error", message: "Les deux mots de passe ne sont pas identiques." }] : []}
            nativeInputProps={{
              id: "f-confirmation",
              autoComplete: "new-password",
              required: true,
              value: confirmation,
              onChange: (e) => setConfirmation(e.target.value),
            }}
          />
          <Button type="submit" className="fr-mt-3w" disabled={result.fetching || mismatch}>
            {result.fetching ? "Enregistrement…" : "Enregistrer mon mot de passe"}
          </Button>
        </form>
      </div>
    </div>
  );
}
