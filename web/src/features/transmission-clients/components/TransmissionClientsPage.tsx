import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import { formatDateTime } from "@/lib/dates";
import {
  GrantTransmissionClientMutation,
  RevokeTransmissionClientMutation,
  RotateTransmissionClientSecretMutation,
  TransmissionClientsQuery,
} from "../api/operations";

type Errors = { field?: string | null; message: string }[];
type Shown = { name: string; clientId: string; secret: string };

/** The software a provider lets transmit its crèches' availabilities (arrêté of 31 August 2021): a secret is shown
 * once, at the grant or the rotation; a revoked client's tokens are refused at once. */
export function TransmissionClientsPage() {
  usePageTitle("Logiciels de transmission");
  const [{ data, error, fetching }, refetch] = useQuery({ query: TransmissionClientsQuery });
  const [shown, setShown] = useState<Shown | null>(null);
  const [errors, setErrors] = useState<Errors>([]);
  const [, rotate] = useMutation(RotateTransmissionClientSecretMutation);
  const [, revoke] = useMutation(RevokeTransmissionClientMutation);
  const notice = useRef<HTMLDivElement>(null);

  function show(name: string, clientId: string | null | undefined, secret: string | null | undefined, refused: Errors | undefined) {
    setErrors(refused ?? []);
    setShown(clientId && secret ? { name, clientId, secret } : null);
    // The payloads name no client type, so urql's document cache cannot tell the list changed.
    refetch({ requestPolicy: "network-only" });
    notice.current?.focus();
  }

  const names = new Map(data?.me.establishments.map(({ establishment }) => [establishment.id, establishment.name]));
  const crèches = (data?.me.establishments ?? []).filter(
    (held) => held.establishment.category === "EAJE" && held.rights.some((right) => right.code === "AVAILABILITY"),
  );
  return (
    <>
      <h1>Logiciels de transmission</h1>
      <p>
        Le logiciel de gestion de vos crèches peut transmettre vos disponibilités à votre place (transmission
        informatisée) : il doit alors les mettre à jour au moins trois jours par semaine, sinon les familles les voient
        comme périmées.
      </p>
      <div ref={notice} tabIndex={-1}>
        {errors.length > 0 && <Alert className="fr-mb-2w" severity="error" title="Action refusée" description={errors.map((e) => e.message).join(" ")} />}
        {shown && (
          <Alert
            className="fr-mb-2w"
            severity="warning"
            title={`Identifiants de ${shown.name} : le secret est affiché cette fois seulement`}
            description={
              <>
                Transmettez-les à l'éditeur par un canal sûr ; le secret ne sera plus jamais affiché.
                <br />
                Identifiant : <code id="client-affiche">{shown.clientId}</code>
                <br />
                Secret : <code id="secret-affiche">{shown.secret}</code>
              </>
            }
          />
        )}
      </div>
      {crèches.length > 0 && <NewClient crèches={crèches.map(({ establishment }) => establishment)} onMade={show} />}
      {error && !data && <Failure error={error} title="Impossible d'afficher les logiciels" />}
      {!data && fetching && <Loading what="des logiciels" />}
      {data && data.transmissionClients.length === 0 && <p>Aucun logiciel n'a reçu délégation.</p>}
      {data?.transmissionClients.map((client) => (
        <section key={client.clientId} aria-labelledby={`l-${client.clientId}`} className="fr-mb-4w">
          <h2 id={`l-${client.clientId}`} className="fr-h4">
            {client.name}
          </h2>
          <p className="fr-mb-1v">
            Identifiant <code>{client.clientId}</code> — délégué le {formatDateTime(client.grantedAt)}
            {client.grantedByCaf ? " par votre Caf" : ` par l'agent ${client.grantedByAgentNumber}`}
            {client.rotatedAt && `, secret renouvelé le ${formatDateTime(client.rotatedAt)}`}
          </p>
          <p>Crèches : {client.establishmentIds.map((id) => names.get(id) ?? "une crèche").join(", ")}</p>
          {client.revokedAt ? (
            <Badge small severity="error">{`Révoqué le ${formatDateTime(client.revokedAt)}`}</Badge>
          ) : (
            <ul className="fr-btns-group fr-btns-group--inline-md fr-btns-group--sm">
              <li>
                <Button
                  priority="secondary"
                  onClick={async () => {
                    const payload = (await rotate({ clientId: client.clientId })).data?.rotateTransmissionClientSecret;
                    show(client.name, payload?.clientId, payload?.clientSecret, payload?.userErrors);
                  }}
                >
                  {`Nouveau secret pour ${client.name}`}
                </Button>
              </li>
              <li>
                <Button
                  priority="tertiary"
                  onClick={async () => {
                    const payload = (await revoke({ clientId: client.clientId })).data?.revokeTransmissionClient;
                    show(client.name, null, null, payload?.userErrors);
                  }}
                >
                  {`Révoquer ${client.name}`}
                </Button>
              </li>
            </ul>
          )}
        </section>
      ))}
    </>
  );
}

type Crèche = { id: string; name: string };

function NewClient({ crèches, onMade }: { crèches: Crèche[]; onMade(name: string, clientId: string | null | undefined, secret: string | null | undefined, errors: Errors | undefined): void }) {
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [state, grant] = useMutation(GrantTransmissionClientMutation);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await grant({ input: { name, establishmentIds: [...chosen] } });
    const payload = result.data?.grantTransmissionClient;
    onMade(name, payload?.clientId, payload?.clientSecret, payload?.userErrors);
    if (payload?.clientSecret) {
      setName("");
      setChosen(new Set());
    }
  }
  function toggle(id: string) {
    setChosen((before) => {
      const after = new Set(before);
      if (!after.delete(id)) after.add(id);
      return after;
    });
  }
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="fr-mb-4w" aria-labelledby="nouveau-logiciel">
      <h2 id="nouveau-logiciel" className="fr-h5">
        Confier la transmission à un logiciel
      </h2>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor="l-nom">
          Nom du logiciel
        </label>
        <input id="l-nom" className="fr-input" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">Crèches dont il transmet les disponibilités</legend>
        {crèches.map((crèche) => (
          <div key={crèche.id} className="fr-fieldset__element">
            <div className="fr-checkbox-group">
              <input type="checkbox" id={`l-${crèche.id}`} checked={chosen.has(crèche.id)} onChange={() => toggle(crèche.id)} />
              <label className="fr-label" htmlFor={`l-${crèche.id}`}>
                {crèche.name}
              </label>
            </div>
          </div>
        ))}
      </fieldset>
      <Button type="submit" disabled={state.fetching}>
        Déléguer et afficher les identifiants
      </Button>
    </form>
  );
}
