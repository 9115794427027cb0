import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { CombinedError } from "@urql/core";
import { useRef, useState, type FormEvent, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { TableFrame } from "@/components/TableFrame";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { RequestDetailFragment } from "@/gql/graphql";
import { formatDateTime } from "@/lib/dates";
import {
  ActivateHabilitationMutation,
  HabilitationRequestDetailQuery,
  MarkConventionSentMutation,
  RecordSignedConventionMutation,
  RejectHabilitationRequestMutation,
} from "../api/operations";
import { RIGHT_LABELS, STANDING_LABELS, STATUS_SEVERITY } from "../vocabulary";
import { ProviderAgents } from "./ProviderAgents";

type Request = RequestDetailFragment;
type UserErrors = { field?: string | null; code: string; message: string }[];
type Outcome = { error?: CombinedError; userErrors?: UserErrors; accounts?: string[] };

export function HabilitationRequestPage() {
  const { number = "" } = useParams();
  usePageTitle(`Demande ${number}`);
  const [{ data, error, fetching }] = useQuery({ query: HabilitationRequestDetailQuery, variables: { number } });
  if (error && !data) return <Failure error={error} title="Impossible d'afficher la demande" />;
  if (!data) return fetching ? <Loading what="de la demande" /> : null;
  const request = data.habilitationRequest;
  if (!request) return <p>Aucune demande {number} pour votre Caf.</p>;
  return <RequestView request={request} />;
}

function RequestView({ request }: { request: Request }) {
  const [outcome, setOutcome] = useState<{ failure?: CombinedError; refusals: UserErrors; done?: string }>({ refusals: [] });
  const notices = useRef<HTMLDivElement>(null);

  async function act(run: () => Promise<Outcome>, done: (o: Outcome) => string) {
    setOutcome({ refusals: [] });
    const result = await run();
    if (result.error) setOutcome({ failure: result.error, refusals: [] });
    else if (result.userErrors && result.userErrors.length > 0) setOutcome({ refusals: result.userErrors });
    else setOutcome({ refusals: [], done: done(result) });
    notices.current?.focus();
  }

  return (
    <>
      <p>
        <Link to="/habilitations">← Toutes les demandes</Link>
      </p>
      <h1>
        Demande {request.number} — {request.providerName}
      </h1>
      <p>
        Reçue le {formatDateTime(request.submittedAt)}{" "}
        <Badge severity={STATUS_SEVERITY[request.status]}>{request.statusLabel}</Badge>
      </p>
      <div ref={notices} tabIndex={-1}>
        {outcome.failure && <Failure error={outcome.failure} />}
        {outcome.refusals.length > 0 && (
          <Alert
            className="fr-mb-2w"
            severity="error"
            title="Action refusée"
            description={
              <ul>
                {outcome.refusals.map((r) => (
                  <li key={`${r.code}-${r.field ?? ""}`}>{r.message}</li>
                ))}
              </ul>
            }
          />
        )}
        {outcome.done && <Alert className="fr-mb-2w" severity="success" small description={outcome.done} />}
      </div>
      <Actions request={request} act={act} />
      <Provider request={request} />
      <Establishments request={request} />
      <Persons request={request} />
      <section aria-labelledby="instruction">
        <h2 id="instruction">Instruction</h2>
        <ol>
          {request.history.map((step, index) => (
            <li key={`${step.at}-${index}`}>
              {formatDateTime(step.at)} — {step.actionLabel}
              {step.agentNumber && ` par ${step.agentNumber}`}
              {step.note && ` : ${step.note}`}
            </li>
          ))}
        </ol>
      </section>
      {request.status === "ACTIVEE" && request.establishments[0] && <ProviderAgents establishmentId={request.establishments[0].id} />}
      {request.status === "ACTIVEE" && (
        <Button priority="secondary" linkProps={{ to: `/habilitations/${request.number}/avenant` }}>
          Enregistrer un avenant (agents et droits)
        </Button>
      )}
    </>
  );
}

type Act = (run: () => Promise<Outcome>, done: (o: Outcome) => string) => Promise<void>;

function Actions({ request, act }: { request: Request; act: Act }) {
  const [, markSent] = useMutation(MarkConventionSentMutation);
  const [, reject] = useMutation(RejectHabilitationRequestMutation);
  const [rejecting, setRejecting] = useState(false);
  const requestNumber = request.number;
  if (request.status === "ACTIVEE" || request.status === "REJETEE") return null;
  return (
    <section aria-labelledby="actions" className="fr-mb-4w">
      <h2 id="actions">Traiter la demande</h2>
      {request.status === "SOUMISE" && (
        <Button
          className="fr-mb-2w"
          onClick={() =>
            void act(
              () => markSent({ input: { requestNumber } }).then((r) => ({ error: r.error, userErrors: r.data?.markConventionSent.userErrors })),
              () => "Convention notée comme envoyée au fournisseur.",
            )
          }
        >
          Convention envoyée au fournisseur
        </Button>
      )}
      {request.status === "CONVENTION_ENVOYEE" && <SignedConventionForm request={request} act={act} />}
      {request.status === "CONVENTION_RECUE" && <ActivationForm request={request} act={act} />}
      {!rejecting ? (
        <Button priority="secondary" onClick={() => setRejecting(true)}>
          Refuser la demande
        </Button>
      ) : (
        <ReasonForm
          label="Motif du refus (communiqué au fournisseur)"
          submit="Refuser la demande"
          onCancel={() => setRejecting(false)}
          onSubmit={(reason) =>
            void act(
              () => reject({ input: { requestNumber, reason } }).then((r) => ({ error: r.error, userErrors: r.data?.rejectHabilitationRequest.userErrors })),
              () => "Demande refusée : le fournisseur en est informé.",
            )
          }
        />
      )}
    </section>
  );
}

function Field({ id, label, hint, children }: { id: string; label: string; hint?: string; children: ReactNode }) {
  return (
    <div className="fr-input-group">
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint && <span className="fr-hint-text">{hint}</span>}
      </label>
      {children}
    </div>
  );
}

function SignedConventionForm({ request, act }: { request: Request; act: Act }) {
  const [, record] = useMutation(RecordSignedConventionMutation);
  const [form, setForm] = useState({ signedOn: "", place: "", signatories: "", deliberationReference: "", deliberationDate: "" });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  function submit(event: FormEvent) {
    event.preventDefault();
    const input = {
      requestNumber: request.number,
      signedOn: form.signedOn,
      place: form.place,
      signatories: form.signatories.split("\n").map((s) => s.trim()).filter(Boolean),
      deliberationReference: form.deliberationReference.trim() || null,
      deliberationDate: form.deliberationDate || null,
    };
    void act(
      () => record({ input }).then((r) => ({ error: r.error, userErrors: r.data?.recordSignedConvention.userErrors })),
      () => "Convention signée enregistrée.",
    );
  }
  return (
    <form onSubmit={submit} noValidate className="fr-mb-2w" aria-labelledby="convention-signee">
      <h3 id="convention-signee" className="fr-h5">
        Convention signée reçue
      </h3>
      <Field id="c-signedOn" label="Date de signature">
        <input id="c-signedOn" type="date" className="fr-input" value={form.signedOn} onChange={set("signedOn")} />
      </Field>
      <Field id="c-place" label="Lieu de signature">
        <input id="c-place" className="fr-input" value={form.place} onChange={set("place")} />
      </Field>
      <Field id="c-signatories" label="Signataires" hint="Un par ligne : nom et qualité.">
        <textarea id="c-signatories" className="fr-input" rows={2} value={form.signatories} onChange={set("signatories")} />
      </Field>
      <Field id="c-deliberationReference" label="Référence de la délibération" hint="Pour une collectivité.">
        <input id="c-deliberationReference" className="fr-input" value={form.deliberationReference} onChange={set("deliberationReference")} />
      </Field>
      <Field id="c-deliberationDate" label="Date de la délibération">
        <input id="c-deliberationDate" type="date" className="fr-input" value={form.deliberationDate} onChange={set("deliberationDate")} />
      </Field>
      <Button type="submit">Enregistrer la convention signée</Button>
    </form>
  );
}

function ActivationForm({ request, act }: { request: Request; act: Act }) {
  const [, activate] = useMutation(ActivateHabilitationMutation);
  const [confirmProvider, setConfirmProvider] = useState(false);
  const [confirmed, setConfirmed] = useState<string[]>([]);
  const toConfirm = request.establishments.filter((e) => e.needsConfirmation);
  function submit(event: FormEvent) {
    event.preventDefault();
    void act(
      () =>
        activate({ input: { requestNumber: request.number, confirmProvider, confirmEstablishments: confirmed } }).then((r) => ({
          error: r.error,
          userErrors: r.data?.activateHabilitation.userErrors,
          accounts: r.data?.activateHabilitation.accounts,
        })),
      (o) => {
        const accounts = o.accounts ?? [];
        const plural = accounts.length > 1 ? "s" : "";
        return `Habilitation activée : ${accounts.length} compte${plural} créé${plural} [${accounts.join(", ")}] ; un mot de passe est envoyé à chaque personne.`;
      },
    );
  }
  return (
    <form onSubmit={submit} noValidate className="fr-mb-2w" aria-labelledby="activation">
      <h3 id="activation" className="fr-h5">
        Activer l'habilitation
      </h3>
      {(request.provider.needsConfirmation || toConfirm.length > 0) && (
        <fieldset className="fr-fieldset">
          <legend className="fr-fieldset__legend">Confirmations</legend>
          {request.provider.needsConfirmation && request.provider.registered && (
            <Confirm id="confirmer-fournisseur" checked={confirmProvider} onChange={setConfirmProvider}>
              Les personnes demandées deviennent agents de « {request.provider.registered.name} » (SIRET {request.provider.registered.siret}), déjà au registre.
            </Confirm>
          )}
          {toConfirm.map((e) => (
            <Confirm
              key={e.id}
              id={`confirmer-${e.id}`}
              checked={confirmed.includes(e.id)}
              onChange={(on) => setConfirmed((c) => (on ? [...c, e.id] : c.filter((x) => x !== e.id)))}
            >
              « {e.name} » ({e.communeName}) est rattaché au demandeur.
            </Confirm>
          ))}
        </fieldset>
      )}
      <Button type="submit">Activer l'habilitation</Button>
    </form>
  );
}

function Confirm({ id, checked, onChange, children }: { id: string; checked: boolean; onChange(on: boolean): void; children: ReactNode }) {
  return (
    <div className="fr-fieldset__element">
      <div className="fr-checkbox-group">
        <input type="checkbox" id={id} checked={checked} onChange={(e) => onChange(e.target.checked)} />
        <label className="fr-label" htmlFor={id}>
          {children}
        </label>
      </div>
    </div>
  );
}

export function ReasonForm({ label, submit, onSubmit, onCancel }: { label: string; submit: string; onSubmit(reason: string): void; onCancel(): void }) {
  const [reason, setReason] = useState("");
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(reason);
      }}
    >
      <Field id="motif" label={label}>
        <textarea id="motif" className="fr-input" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button type="submit">{submit}</Button>
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

function Provider({ request }: { request: Request }) {
  const p = request.provider;
  return (
    <section aria-labelledby="fournisseur">
      <h2 id="fournisseur">Fournisseur</h2>
      <dl>
        <dt>Nom et nature</dt>
        <dd>
          {p.name} — {p.kindLabel}
        </dd>
        <dt>SIRET</dt>
        <dd>
          {p.siret}
          {p.registered ? ` — au registre : « ${p.registered.name} »` : " — inconnu du registre"}
          {p.needsConfirmation && " (à confirmer à l'activation)"}
        </dd>
        <dt>Adresse</dt>
        <dd>
          {p.street}, {p.postalCode} {p.communeName ?? ""}
        </dd>
        <dt>Contact</dt>
        <dd>
          {p.email}
          {p.phone && ` — ${p.phone}`}
        </dd>
        <dt>Représentant légal</dt>
        <dd>
          {p.representativeName}, {p.representativeTitle}
        </dd>
      </dl>
    </section>
  );
}

function Establishments({ request }: { request: Request }) {
  return (
    <section aria-labelledby="etablissements">
      <h2 id="etablissements">Établissements et contrôle de la gestion</h2>
      <TableFrame label="Établissements demandés">
        <table>
          <caption>Établissements demandés</caption>
          <thead>
            <tr>
              <th scope="col">Établissement</th>
              <th scope="col">Gestionnaire actuel</th>
              <th scope="col">Contrôle</th>
              <th scope="col">Droits demandés</th>
            </tr>
          </thead>
          <tbody>
            {request.establishments.map((e) => (
              <tr key={e.id}>
                <th scope="row">
                  {e.name}
                  <br />
                  <span className="fr-text--sm">
                    {e.categoryLabel}, {e.communeName}
                  </span>
                </th>
                <td>{e.currentProvider ? `${e.currentProvider.name}${e.currentProvider.siret ? ` (SIRET ${e.currentProvider.siret})` : ""}` : "—"}</td>
                <td>
                  <Badge small severity={e.refused ? "error" : e.needsConfirmation ? "warning" : "success"}>
                    {STANDING_LABELS[e.standing] ?? e.standing}
                  </Badge>
                </td>
                <td>{e.rights.map((r) => RIGHT_LABELS[r] ?? r).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableFrame>
    </section>
  );
}

function Persons({ request }: { request: Request }) {
  return (
    <section aria-labelledby="personnes">
      <h2 id="personnes">Personnes à habiliter</h2>
      <ul>
        {request.persons.map((p) => (
          <li key={p.email}>
            <strong>
              {p.civility ? `${p.civility} ` : ""}
              {p.firstName} {p.lastName}
            </strong>
            , {p.function} — {p.email}
            {p.phone && ` — ${p.phone}`}
            <br />
            Droits : {p.rights.map((r) => `${RIGHT_LABELS[r.right] ?? r.right} (${r.establishmentName})`).join(" ; ") || "aucun"}
          </li>
        ))}
      </ul>
    </section>
  );
}
