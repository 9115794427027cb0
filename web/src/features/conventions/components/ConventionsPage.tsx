import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { ConventionsQuery as ConventionsData, TerminatedBy } from "@/gql/graphql";
import { formatNumericDay } from "@/lib/dates";
import { ConventionsQuery, RecordTerminationMutation } from "../api/operations";

type Convention = ConventionsData["conventions"]["edges"][number]["node"];

/** The Caf's conventions with their renewal day and notice deadline; a termination (registered letter) recorded. */
export function ConventionsPage() {
  usePageTitle("Conventions");
  const [{ data, error, fetching }] = useQuery({ query: ConventionsQuery });
  return (
    <>
      <h1>Conventions</h1>
      <p>Les conventions signées avec les fournisseurs de votre territoire : échéance de reconduction et date limite de préavis.</p>
      {error && !data && <Failure error={error} title="Impossible d'afficher les conventions" />}
      {!data && fetching && <Loading what="des conventions" />}
      {data?.conventions.edges.length === 0 && <p>Aucune convention signée pour le moment.</p>}
      {data?.conventions.edges.map(({ node }) => <ConventionCard key={node.id} convention={node} />)}
    </>
  );
}

function ConventionCard({ convention }: { convention: Convention }) {
  const [terminating, setTerminating] = useState(false);
  return (
    <section aria-labelledby={`c-${convention.id}`} className="fr-mb-4w">
      <h2 id={`c-${convention.id}`} className="fr-h4">
        {convention.providerName} — demande {convention.requestNumber}
      </h2>
      <p>
        <Badge small severity={convention.status === "EN_VIGUEUR" ? "success" : "warning"}>
          {convention.statusLabel}
        </Badge>
      </p>
      <dl>
        <dt>Signée</dt>
        <dd>
          le {formatNumericDay(convention.signedOn)} à {convention.place} par {convention.signatories.join(", ")}
          {convention.deliberationReference && ` (délibération ${convention.deliberationReference}${convention.deliberationDate ? ` du ${formatNumericDay(convention.deliberationDate)}` : ""})`}
        </dd>
        <dt>Prochaine reconduction</dt>
        <dd>{formatNumericDay(convention.nextRenewal)}</dd>
        <dt>Date limite de préavis</dt>
        <dd>{formatNumericDay(convention.noticeDeadline)}</dd>
        <dt>Avenants</dt>
        <dd>
          {convention.amendments.length === 0
            ? "aucun"
            : convention.amendments.map((a) => `signé le ${formatNumericDay(a.signedOn)} : ${a.subject}`).join(" ; ")}
        </dd>
        {convention.terminationEffectiveOn && (
          <>
            <dt>Résiliation effective le</dt>
            <dd>{formatNumericDay(convention.terminationEffectiveOn)}</dd>
          </>
        )}
      </dl>
      {!convention.terminationEffectiveOn && !terminating && (
        <p className="fr-mb-1w">
          <Link to={`/habilitations/${convention.requestNumber}/avenant`}>Enregistrer un avenant à la convention {convention.requestNumber}</Link>
        </p>
      )}
      {!convention.terminationEffectiveOn &&
        (terminating ? (
          <TerminationForm requestNumber={convention.requestNumber} onDone={() => setTerminating(false)} />
        ) : (
          <Button size="small" priority="secondary" onClick={() => setTerminating(true)}>
            Enregistrer une résiliation
          </Button>
        ))}
    </section>
  );
}

function TerminationForm({ requestNumber, onDone }: { requestNumber: string; onDone(): void }) {
  const [by, setBy] = useState<TerminatedBy>("FOURNISSEUR");
  const [letterReference, setLetter] = useState("");
  const [receivedOn, setReceived] = useState("");
  const [state, record] = useMutation(RecordTerminationMutation);
  const [errors, setErrors] = useState<string[]>([]);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await record({ input: { requestNumber, by, letterReference, receivedOn } });
    const refused = result.data?.recordConventionTermination.userErrors ?? [];
    if (result.error || refused.length > 0) setErrors(refused.map((e) => e.message).concat(result.error ? ["La résiliation n'a pas été enregistrée."] : []));
    else onDone();
  }
  const id = requestNumber.replace(/\W/g, "");
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label={`Résiliation de la convention ${requestNumber}`}>
      {errors.length > 0 && <Alert small severity="error" description={errors.join(" ")} className="fr-mb-2w" />}
      <div className="fr-select-group">
        <label className="fr-label" htmlFor={`by-${id}`}>
          Résiliée par
        </label>
        <select id={`by-${id}`} className="fr-select" value={by} onChange={(e) => setBy(e.target.value as TerminatedBy)}>
          <option value="FOURNISSEUR">Le fournisseur</option>
          <option value="CAF">La Caf</option>
        </select>
      </div>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`lettre-${id}`}>
          Référence de la lettre recommandée
        </label>
        <input id={`lettre-${id}`} className="fr-input" value={letterReference} onChange={(e) => setLetter(e.target.value)} />
      </div>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`recue-${id}`}>
          Reçue le
        </label>
        <input id={`recue-${id}`} type="date" className="fr-input" value={receivedOn} onChange={(e) => setReceived(e.target.value)} />
      </div>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button type="submit" disabled={state.fetching}>
            Enregistrer la résiliation
          </Button>
        </li>
        <li>
          <Button type="button" priority="secondary" onClick={onDone}>
            Annuler
          </Button>
        </li>
      </ul>
    </form>
  );
}
