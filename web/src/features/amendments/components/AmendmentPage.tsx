import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { CombinedError } from "@urql/core";
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { ErrorSummary } from "@/components/ErrorSummary";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { AnnexQuery as AnnexData } from "@/gql/graphql";
import { formatNumericDay } from "@/lib/dates";
import { fieldId, PlacedErrors } from "@/lib/forms/user-errors";
import { AmendmentProviderQuery, AmendmentRequestQuery, AnnexQuery, ConventionAmendmentsQuery, RecordAmendmentMutation } from "../api/operations";
import {
  buildAmendment,
  controlLabel,
  describeChanges,
  draftFrom,
  emptyPerson,
  missing,
  paths,
  placeAt,
  rightKey,
  RIGHTS,
  type AmendmentDraft,
  type AnnexAgent,
  type NewPersonDraft,
  type Place,
  type RightCode,
  type RightKey,
} from "../amendment";

type AnnexNode = AnnexData["providerAgents"]["edges"][number]["node"];

/** An amendment to a convention (« avenant »): agents removed, persons added, rights changed per establishment,
 * dated; confirmed before it is sent; the annex and the convention's amendments shown as they stand. */
export function AmendmentPage() {
  const { number = "" } = useParams();
  usePageTitle(`Avenant — demande ${number}`);
  const [{ data, error, fetching }] = useQuery({ query: AmendmentRequestQuery, variables: { number } });
  const places = useMemo(
    () =>
      (data?.habilitationRequest?.establishments ?? [])
        .filter((e) => !e.refused)
        .map((e): Place => ({ id: e.id, name: e.name, eaje: e.category === "EAJE" })),
    [data],
  );
  if (error && !data) return <Failure error={error} title="Impossible d'afficher la demande" />;
  if (!data) return fetching ? <Loading what="de la demande" /> : null;
  const request = data.habilitationRequest;
  if (!request) return <p>Aucune demande {number} pour votre Caf.</p>;
  return (
    <>
      <p>
        <Link to={`/habilitations/${request.number}`}>← Demande {request.number}</Link>
      </p>
      <h1>Avenant à la convention — {request.providerName}</h1>
      {request.status !== "ACTIVEE" || !places[0] ? (
        <p>Un avenant suppose une habilitation active : cette demande ne l'est pas.</p>
      ) : (
        <ProviderAmendment requestNumber={request.number} places={places} />
      )}
    </>
  );
}

function ProviderAmendment({ requestNumber, places }: { requestNumber: string; places: Place[] }) {
  const [{ data }] = useQuery({ query: AmendmentProviderQuery, variables: { id: places[0]!.id } });
  const provider = data?.node && "provider" in data.node ? data.node.provider : null;
  if (!provider) return null;
  return <Amendments requestNumber={requestNumber} providerId={provider.id} providerName={provider.name} requested={places} />;
}

function annexAgent(node: AnnexNode): AnnexAgent {
  return {
    agentNumber: node.agentNumber,
    firstName: node.firstName,
    lastName: node.lastName,
    rights: node.rights.map((r) => ({ establishmentId: r.establishment.id, right: r.right.code as RightCode })),
  };
}

function Amendments({ requestNumber, providerId, providerName, requested }: { requestNumber: string; providerId: string; providerName: string; requested: Place[] }) {
  const [annex, refetchAnnex] = useQuery({ query: AnnexQuery, variables: { providerId } });
  const [listed, refetchListed] = useQuery({ query: ConventionAmendmentsQuery });
  const [done, setDone] = useState<string | null>(null);
  const notice = useRef<HTMLDivElement>(null);
  const nodes = useMemo(() => (annex.data?.providerAgents.edges ?? []).map((e) => e.node).filter((n) => n.status !== "DESACTIVE"), [annex.data]);
  const agents = useMemo(() => nodes.map(annexAgent), [nodes]);
  // The convention's establishments, and any other its agents hold a right on (another request of the provider).
  const places = useMemo(() => {
    const extra = new Map<string, Place>();
    for (const node of nodes) {
      for (const r of node.rights) {
        if (requested.some((p) => p.id === r.establishment.id)) continue;
        const known = extra.get(r.establishment.id);
        extra.set(r.establishment.id, { id: r.establishment.id, name: r.establishment.name, eaje: (known?.eaje ?? false) || r.right.code === "AVAILABILITY" });
      }
    }
    return [...requested, ...extra.values()];
  }, [nodes, requested]);
  const convention = listed.data?.conventions.edges.map((e) => e.node).find((c) => c.requestNumber === requestNumber);

  function recorded(message: string) {
    setDone(message);
    refetchAnnex({ requestPolicy: "network-only" });
    refetchListed({ requestPolicy: "network-only" });
    notice.current?.focus();
  }

  return (
    <>
      <p>
        Un avenant ajoute ou retire des agents et des droits par établissement, daté de sa signature. Chaque personne ajoutée reçoit son identifiant et
        un mot de passe provisoire par courriel ; un agent retiré perd aussitôt l'accès à l'espace professionnel.
      </p>
      <div ref={notice} tabIndex={-1}>
        {done && <Alert className="fr-mb-2w" severity="success" small description={done} />}
      </div>
      <section aria-labelledby="annexe" className="fr-mb-4w">
        <h2 id="annexe">Annexe en vigueur (article 3-2) — {providerName}</h2>
        {annex.error && !annex.data && <Failure error={annex.error} title="Impossible d'afficher les agents" />}
        {!annex.data && annex.fetching && <Loading what="des agents" />}
        {annex.data && nodes.length === 0 && <p>Aucun agent habilité.</p>}
        <ul>
          {nodes.map((node) => (
            <li key={node.agentNumber}>
              <strong>
                {node.firstName} {node.lastName}
              </strong>{" "}
              ({node.agentNumber}), {node.function} — {node.email} — {node.statusLabel}
              <br />
              Droits : {node.rights.map((r) => `${r.right.label} (${r.establishment.name})`).join(" ; ") || "aucun"}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="avenants" className="fr-mb-4w">
        <h2 id="avenants">Avenants enregistrés</h2>
        {listed.error && !listed.data && <Failure error={listed.error} title="Impossible d'afficher les avenants" />}
        {convention && convention.amendments.length === 0 && <p>Aucun avenant pour le moment.</p>}
        <ol>
          {convention?.amendments.map((a, index) => (
            <li key={`${a.recordedAt}-${index}`}>
              Avenant signé le {formatNumericDay(a.signedOn)} : {a.subject}
              {a.changes.length > 0 && (
                <ul>
                  {a.changes.map((change) => (
                    <li key={change}>{change}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      </section>
      {annex.data && <AmendmentForm key={signature(agents)} requestNumber={requestNumber} agents={agents} places={places} onRecorded={recorded} />}
    </>
  );
}

/** The annex as a string: the form starts again from the annex each time it changes (after an amendment). */
const signature = (agents: AnnexAgent[]) => agents.map((a) => `${a.agentNumber}:${a.rights.map((r) => rightKey(r.establishmentId, r.right)).sort().join(",")}`).join(";");

function AmendmentForm({ requestNumber, agents, places, onRecorded }: { requestNumber: string; agents: AnnexAgent[]; places: Place[]; onRecorded(message: string): void }) {
  const [draft, setDraft] = useState<AmendmentDraft>(() => draftFrom(agents));
  const [errors, setErrors] = useState(new PlacedErrors());
  const [failure, setFailure] = useState<CombinedError | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [state, record] = useMutation(RecordAmendmentMutation);
  const built = buildAmendment(requestNumber, draft, agents, places);
  const labels = (path: string) => controlLabel(path, agents, places);

  function check(event: FormEvent) {
    event.preventDefault();
    const problems = missing(built.input);
    setErrors(new PlacedErrors(problems));
    setFailure(null);
    if (problems.length === 0) setConfirming(true);
  }

  async function send() {
    const { input, origins } = built;
    const result = await record({ input });
    const payload = result.data?.recordAmendment;
    if (result.error || !payload) {
      setFailure(result.error ?? null);
      setConfirming(false);
      return;
    }
    if (payload.userErrors.length > 0) {
      setErrors(new PlacedErrors(placeAt(payload.userErrors, origins)));
      setConfirming(false);
      return;
    }
    const created = payload.accounts;
    const plural = created.length > 1 ? "s" : "";
    const accounts = created.length > 0 ? ` ${created.length} compte${plural} créé${plural} [${created.join(", ")}] : chaque personne ajoutée reçoit son mot de passe provisoire par courriel.` : "";
    onRecorded(`Avenant du ${formatNumericDay(input.signedOn)} enregistré.${accounts}`);
  }

  const set = (change: Partial<AmendmentDraft>) => setDraft((d) => ({ ...d, ...change }));
  const setPerson = (index: number, change: Partial<NewPersonDraft>) =>
    setDraft((d) => ({ ...d, persons: d.persons.map((p, i) => (i === index ? { ...p, ...change } : p)) }));
  const toggle = (keys: RightKey[], key: RightKey, on: boolean) => (on ? [...keys, key] : keys.filter((k) => k !== key));

  if (confirming) {
    return (
      <Confirmation
        changes={describeChanges(built.input, agents, places)}
        signedOn={built.input.signedOn}
        subject={built.input.subject}
        sending={state.fetching}
        onSend={() => void send()}
        onBack={() => setConfirming(false)}
      />
    );
  }
  return (
    <section aria-labelledby="nouvel-avenant">
      <h2 id="nouvel-avenant">Nouvel avenant</h2>
      {failure && <Failure error={failure} title="L'avenant n'a pas été enregistré" />}
      <ErrorSummary errors={errors} labels={labels} />
      <form onSubmit={check} noValidate>
        <TextField path="signedOn" label="Date de signature de l'avenant" type="date" value={draft.signedOn} errors={errors} onChange={(signedOn) => set({ signedOn })} />
        <TextField path="subject" label="Objet de l'avenant" hint="Par exemple : départ de la coordinatrice, arrivée de la nouvelle directrice." value={draft.subject} errors={errors} multiline onChange={(subject) => set({ subject })} />
        <h3 className="fr-h5">Agents de l'annexe</h3>
        <p className="fr-text--sm">Cochez les droits que chaque agent aura après l'avenant, ou retirez-le de l'annexe.</p>
        {agents.map((agent) => {
          const removed = draft.removed.includes(agent.agentNumber);
          const held = draft.rights[agent.agentNumber] ?? [];
          return (
            <fieldset key={agent.agentNumber} className="fr-fieldset">
              <legend className="fr-fieldset__legend">
                {agent.firstName} {agent.lastName} ({agent.agentNumber})
              </legend>
              <Checkbox
                path={paths.remove(agent.agentNumber)}
                checked={removed}
                errors={errors}
                onChange={(on) => set({ removed: on ? [...draft.removed, agent.agentNumber] : draft.removed.filter((n) => n !== agent.agentNumber) })}
              >
                {`Retirer ${agent.firstName} ${agent.lastName} de l'annexe (son compte est désactivé)`}
              </Checkbox>
              {!removed &&
                places.map((place, p) =>
                  RIGHTS.filter((r) => r.code !== "AVAILABILITY" || place.eaje).map((r) => (
                    <Checkbox
                      key={`${place.id}-${r.code}`}
                      path={paths.agentRight(agent.agentNumber, p, r.code)}
                      checked={held.includes(rightKey(place.id, r.code))}
                      errors={errors}
                      onChange={(on) => set({ rights: { ...draft.rights, [agent.agentNumber]: toggle(held, rightKey(place.id, r.code), on) } })}
                    >
                      {`${r.label} — ${place.name}`}
                    </Checkbox>
                  )),
                )}
            </fieldset>
          );
        })}
        <h3 className="fr-h5">Personnes ajoutées</h3>
        {draft.persons.length === 0 && <p className="fr-text--sm">Aucune personne ajoutée par cet avenant.</p>}
        {draft.persons.map((person, i) => (
          <fieldset key={i} className="fr-fieldset">
            <legend className="fr-fieldset__legend">Personne ajoutée n° {i + 1}</legend>
            <TextField path={`persons[${i}].lastName`} label="Nom" value={person.lastName} errors={errors} onChange={(lastName) => setPerson(i, { lastName })} />
            <TextField path={`persons[${i}].firstName`} label="Prénom" value={person.firstName} errors={errors} onChange={(firstName) => setPerson(i, { firstName })} />
            <TextField path={`persons[${i}].function`} label="Fonction" value={person.function} errors={errors} onChange={(fn) => setPerson(i, { function: fn })} />
            <TextField
              path={`persons[${i}].email`}
              label="Adresse électronique"
              hint="Son identifiant et son mot de passe provisoire y sont envoyés."
              type="email"
              value={person.email}
              errors={errors}
              onChange={(email) => setPerson(i, { email })}
            />
            {places.map((place, p) =>
              RIGHTS.filter((r) => r.code !== "AVAILABILITY" || place.eaje).map((r) => (
                <Checkbox
                  key={`${place.id}-${r.code}`}
                  path={paths.personRight(i, p, r.code)}
                  checked={person.rights.includes(rightKey(place.id, r.code))}
                  errors={errors}
                  onChange={(on) => setPerson(i, { rights: toggle(person.rights, rightKey(place.id, r.code), on) })}
                >
                  {`${r.label} — ${place.name}`}
                </Checkbox>
              )),
            )}
            <div className="fr-fieldset__element">
              <Button type="button" size="small" priority="tertiary" onClick={() => set({ persons: draft.persons.filter((_, k) => k !== i) })}>
                {`Retirer la personne ajoutée n° ${i + 1}`}
              </Button>
            </div>
          </fieldset>
        ))}
        <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-2w">
          <li>
            <Button type="button" priority="secondary" onClick={() => set({ persons: [...draft.persons, emptyPerson()] })}>
              Ajouter une personne
            </Button>
          </li>
          <li>
            <Button type="submit">Vérifier l'avenant</Button>
          </li>
        </ul>
      </form>
    </section>
  );
}

function Confirmation({ changes, signedOn, subject, sending, onSend, onBack }: { changes: string[]; signedOn: string; subject: string; sending: boolean; onSend(): void; onBack(): void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section aria-labelledby="confirmation" className="fr-p-2w fr-background-alt--blue-france">
      <h2 id="confirmation" ref={heading} tabIndex={-1}>
        Confirmer l'avenant du {formatNumericDay(signedOn)}
      </h2>
      <p>Objet : {subject}</p>
      <ul aria-label="Changements de l'avenant">
        {changes.map((change) => (
          <li key={change}>{change}</li>
        ))}
      </ul>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button disabled={sending} onClick={onSend}>
            Enregistrer l'avenant
          </Button>
        </li>
        <li>
          <Button priority="secondary" onClick={onBack}>
            Modifier l'avenant
          </Button>
        </li>
      </ul>
    </section>
  );
}

function TextField({
  path,
  label,
  hint,
  type = "text",
  multiline = false,
  value,
  errors,
  onChange,
}: {
  path: string;
  label: string;
  hint?: string;
  type?: string;
  multiline?: boolean;
  value: string;
  errors: PlacedErrors;
  onChange(value: string): void;
}) {
  const id = fieldId(path);
  const error = errors.under(path);
  const described = error ? `${id}-erreur` : undefined;
  return (
    <div className={`fr-input-group fr-fieldset__element${error ? " fr-input-group--error" : ""}`}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint && <span className="fr-hint-text">{hint}</span>}
      </label>
      {multiline ? (
        <textarea id={id} className={`fr-input${error ? " fr-input--error" : ""}`} rows={2} value={value} aria-describedby={described} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input id={id} type={type} className={`fr-input${error ? " fr-input--error" : ""}`} value={value} aria-describedby={described} onChange={(e) => onChange(e.target.value)} />
      )}
      {error && (
        <p id={described} className="fr-error-text">
          {error}
        </p>
      )}
    </div>
  );
}

function Checkbox({ path, checked, errors, onChange, children }: { path: string; checked: boolean; errors: PlacedErrors; onChange(on: boolean): void; children: ReactNode }) {
  const id = fieldId(path);
  const error = errors.under(path);
  const described = error ? `${id}-erreur` : undefined;
  return (
    <div className="fr-fieldset__element">
      <div className={`fr-checkbox-group${error ? " fr-checkbox-group--error" : ""}`}>
        <input type="checkbox" id={id} checked={checked} aria-describedby={described} onChange={(e) => onChange(e.target.checked)} />
        <label className="fr-label" htmlFor={id}>
          {children}
        </label>
        {error && (
          <p id={described} className="fr-error-text">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
