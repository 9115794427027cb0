import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import { formatDateTime } from "@/lib/dates";
import { CreateApiKeyMutation, CreateIntegratorMutation, IntegratorsQuery, RevokeApiKeyMutation } from "../api/operations";

type Errors = { field?: string | null; message: string }[];

/** The Caf's integrators and their API keys: a key is shown once, when it is made; any key can be revoked. */
export function IntegratorsPage() {
  usePageTitle("Intégrateurs");
  const [{ data, error, fetching }, refetch] = useQuery({ query: IntegratorsQuery });
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const [errors, setErrors] = useState<Errors>([]);
  const [, createKey] = useMutation(CreateApiKeyMutation);
  const [, revoke] = useMutation(RevokeApiKeyMutation);
  const notice = useRef<HTMLDivElement>(null);

  function show(name: string, key: string | null | undefined, refused: Errors | undefined) {
    setErrors(refused ?? []);
    setShown(key ? { name, key } : null);
    // The payloads name no integrator type, so urql's document cache cannot tell the list changed.
    refetch({ requestPolicy: "network-only" });
    notice.current?.focus();
  }

  return (
    <>
      <h1>Intégrateurs</h1>
      <p>Les éditeurs et services qui lisent les publications de votre territoire avec une clé d'API.</p>
      <div ref={notice} tabIndex={-1}>
        {errors.length > 0 && <Alert className="fr-mb-2w" severity="error" title="Action refusée" description={errors.map((e) => e.message).join(" ")} />}
        {shown && (
          <Alert
            className="fr-mb-2w"
            severity="warning"
            title={`Clé d'API de ${shown.name} : affichée cette fois seulement`}
            description={
              <>
                Transmettez-la à l'intégrateur par un canal sûr ; elle ne sera plus jamais affichée.
                <br />
                <code id="cle-affichee">{shown.key}</code>
              </>
            }
          />
        )}
      </div>
      <NewIntegrator onMade={show} />
      {error && !data && <Failure error={error} title="Impossible d'afficher les intégrateurs" />}
      {!data && fetching && <Loading what="des intégrateurs" />}
      {data?.integrators.edges.map(({ node }) => (
        <section key={node.id} aria-labelledby={`i-${node.id}`} className="fr-mb-4w">
          <h2 id={`i-${node.id}`} className="fr-h4">
            {node.name}
          </h2>
          <p>
            {node.contactEmail} — départements {node.departements.join(", ")} — depuis le {formatDateTime(node.createdAt)}
          </p>
          <ul>
            {node.keys.map((key) => (
              <li key={key.id}>
                Clé créée le {formatDateTime(key.createdAt)} par {key.createdBy}
                {key.lastUsedAt ? `, utilisée le ${formatDateTime(key.lastUsedAt)}` : ", jamais utilisée"}{" "}
                {key.revokedAt ? (
                  <Badge small severity="error">{`Révoquée le ${formatDateTime(key.revokedAt)}`}</Badge>
                ) : (
                  <Button
                    size="small"
                    priority="tertiary"
                    onClick={async () => {
                      const result = await revoke({ keyId: key.id });
                      show(node.name, null, result.data?.revokeApiKey.userErrors);
                    }}
                  >
                    {`Révoquer la clé du ${formatDateTime(key.createdAt)}`}
                  </Button>
                )}
              </li>
            ))}
          </ul>
          <Button
            size="small"
            priority="secondary"
            onClick={async () => {
              const result = await createKey({ integratorId: node.id });
              const payload = result.data?.createApiKey;
              show(node.name, payload?.apiKey, payload?.userErrors);
            }}
          >
            Nouvelle clé
          </Button>
        </section>
      ))}
    </>
  );
}

function NewIntegrator({ onMade }: { onMade(name: string, key: string | null | undefined, errors: Errors | undefined): void }) {
  const [form, setForm] = useState({ name: "", contactEmail: "", departements: "" });
  const [state, create] = useMutation(CreateIntegratorMutation);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const departements = form.departements.split(/[\s,;]+/).filter(Boolean);
    const result = await create({ input: { name: form.name, contactEmail: form.contactEmail, departements } });
    const payload = result.data?.createIntegrator;
    onMade(form.name, payload?.apiKey, payload?.userErrors);
    if (payload?.apiKey) setForm({ name: "", contactEmail: "", departements: "" });
  }
  const field = (key: keyof typeof form, label: string, hint?: string) => (
    <div className="fr-input-group">
      <label className="fr-label" htmlFor={`n-${key}`}>
        {label}
        {hint && <span className="fr-hint-text">{hint}</span>}
      </label>
      <input id={`n-${key}`} className="fr-input" value={form[key]} onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))} />
    </div>
  );
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="fr-mb-4w" aria-labelledby="nouvel-integrateur">
      <h2 id="nouvel-integrateur" className="fr-h5">
        Nouvel intégrateur
      </h2>
      {field("name", "Nom")}
      {field("contactEmail", "Adresse électronique de contact")}
      {field("departements", "Départements lisibles", "Séparés par des virgules, dans le territoire de votre Caf : 59, 62.")}
      <Button type="submit" disabled={state.fetching}>
        Créer l'intégrateur et sa première clé
      </Button>
    </form>
  );
}
