import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { PasswordInput } from "@codegouvfr/react-dsfr/blocks/PasswordInput";
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { Failure } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import { useAuth } from "@/lib/auth/context";
import { PlacedErrors } from "@/lib/forms/user-errors";
import { LoginMutation } from "../api/operations";

interface Returning {
  from?: string;
}

export function SignInPage() {
  usePageTitle("Connexion");
  const auth = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const from = (location.state as Returning | null)?.from ?? "/";
  const [identifier, setIdentifier] = useState(auth.account ?? "");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState(new PlacedErrors());
  const [result, login] = useMutation(LoginMutation);

  if (auth.status === "signed-in") return <Navigate to={from} replace />;
  if (auth.status === "must-change-password") return <Navigate to="/mot-de-passe" replace state={{ from }} />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await login({ input: { identifier: identifier.trim(), password } });
    const payload = answer.data?.login;
    if (!payload) return;
    setErrors(new PlacedErrors(payload.userErrors));
    if (payload.session) {
      auth.signIn(payload.session, identifier.trim());
      navigate(payload.session.mustChangePassword ? "/mot-de-passe" : from, { replace: true, state: { from } });
    } else {
      setPassword("");
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <h1>Connexion à l'espace professionnel</h1>
        {auth.status === "expired" && (
          <div className="fr-mb-3w">
            <Alert
              severity="warning"
              title="Votre session a expiré"
              description="Reconnectez-vous : ce que vous étiez en train de saisir a été conservé sur cet appareil et vous sera proposé à nouveau."
            />
          </div>
        )}
        {result.error && <Failure error={result.error} title="Connexion impossible" />}
        {errors.general.length > 0 && (
          <div className="fr-mb-3w">
            <Alert severity="error" title="Connexion refusée" description={errors.general.join(" ")} />
          </div>
        )}
        <form onSubmit={submit} noValidate>
          <Input
            label="Identifiant"
            hintText="Celui indiqué dans le courriel de votre Caf (par exemple m.dupont.escautpont)."
            state={errors.under("identifier") ? "error" : "default"}
            stateRelatedMessage={errors.under("identifier")}
            nativeInputProps={{
              id: "f-identifier",
              name: "username",
              autoComplete: "username",
              required: true,
              value: identifier,
              onChange: (e) => setIdentifier(e.target.value),
            }}
          />
          <PasswordInput
            label="Mot de passe"
            messages={errors.under("password") ? [{ severity: "error", message: errors.under("password") }] : []}
            nativeInputProps={{
              id: "f-password",
              name: "password",
              autoComplete: "current-password",
              required: true,
              value: password,
              onChange: (e) => setPassword(e.target.value),
            }}
          />
          <p className="fr-mt-2w">
            <Link to="/mot-de-passe-oublie">Mot de passe oublié ?</Link>
          </p>
          <Button type="submit" disabled={result.fetching}>
            {result.fetching ? "Connexion…" : "Se connecter"}
          </Button>
        </form>
      </div>
    </div>
  );
}
