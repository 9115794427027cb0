import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { TableFrame } from "@/components/TableFrame";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { EstablishmentRegisterQuery as RegisterData, RegisterFilter } from "@/gql/graphql";
import { formatDay, formatNumericDay } from "@/lib/dates";
import { EstablishmentRegisterQuery, TerritoryProvidersQuery } from "../api/operations";
import { EMPTY_FORM, formOf, type EstablishmentForm } from "../form";
import { CloseEstablishment } from "./CloseEstablishment";
import { EstablishmentFormSection } from "./EstablishmentFormSection";
import { RegisterSearchForm } from "./RegisterSearchForm";

const PAGE_SIZE = 20;
type Entry = RegisterData["establishmentRegister"]["edges"][number]["node"];
type Provider = Entry["provider"];

/** The register of the Caf's territory: search it, create an establishment, update one, close one at a date. */
export function EstablishmentRegisterPage() {
  usePageTitle("Registre des établissements");
  const [filter, setFilter] = useState<RegisterFilter>({});
  const [after, setAfter] = useState<string | null>(null);
  const [earlier, setEarlier] = useState<(string | null)[]>([]);
  const [{ data, error, fetching }, refetch] = useQuery({ query: EstablishmentRegisterQuery, variables: { filter, first: PAGE_SIZE, after } });
  const [{ data: providers }] = useQuery({ query: TerritoryProvidersQuery });
  const [editing, setEditing] = useState<{ form: EstablishmentForm; provider: Provider | null; key: number }>({ form: EMPTY_FORM, provider: null, key: 0 });
  const [closing, setClosing] = useState<Entry | null>(null);
  const [notice, setNotice] = useState<{ text: string; count: number } | null>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  function announce(text: string) {
    setNotice((n) => ({ text, count: (n?.count ?? 0) + 1 }));
    setClosing(null);
    setEditing((e) => ({ form: EMPTY_FORM, provider: null, key: e.key + 1 }));
    // The payloads name no register type, so urql's document cache cannot tell the list changed.
    refetch({ requestPolicy: "network-only" });
  }

  function startEditing(entry: Entry) {
    setClosing(null);
    setEditing((e) => ({ form: formOf(entry), provider: entry.provider, key: e.key + 1 }));
  }

  const register = data?.establishmentRegister;
  const territoryProviders = providers?.territoryProviders ?? [];
  return (
    <>
      <h1>Registre des établissements</h1>
      <p>
        Les établissements du territoire de votre Caf, ouverts et fermés. Chaque création, modification ou fermeture est publiée aussitôt dans le
        catalogue public et aux intégrateurs.
      </p>
      <div ref={noticeRef} tabIndex={-1}>
        {notice && <Alert className="fr-mb-2w" severity="success" small description={notice.text} />}
      </div>
      <RegisterSearchForm
        providers={territoryProviders}
        onSearch={(next) => {
          setFilter(next);
          setAfter(null);
          setEarlier([]);
        }}
      />
      {error && !data && <Failure error={error} title="Impossible d'afficher le registre" />}
      {!data && fetching && <Loading what="du registre" />}
      {register && (
        <>
          <p role="status">
            {register.totalCount} établissement{register.totalCount > 1 ? "s" : ""} trouvé{register.totalCount > 1 ? "s" : ""}.
          </p>
          <RegisterTable entries={register.edges.map((e) => e.node)} onEdit={startEditing} onClose={setClosing} />
          <ul className="fr-btns-group fr-btns-group--inline-md fr-mb-4w">
            <li>
              <Button
                priority="secondary"
                disabled={earlier.length === 0}
                onClick={() => {
                  setAfter(earlier.at(-1) ?? null);
                  setEarlier(earlier.slice(0, -1));
                }}
              >
                Page précédente
              </Button>
            </li>
            <li>
              <Button
                priority="secondary"
                disabled={!register.pageInfo.hasNextPage}
                onClick={() => {
                  setEarlier([...earlier, after]);
                  setAfter(register.pageInfo.endCursor ?? null);
                }}
              >
                Page suivante
              </Button>
            </li>
          </ul>
        </>
      )}
      {closing ? (
        <CloseEstablishment
          key={closing.id}
          id={closing.id}
          name={closing.name}
          onClosed={(name, closedOn) => announce(`« ${name} » est fermé : il quitte le catalogue public le ${formatDay(closedOn)}.`)}
          onCancel={() => setClosing(null)}
        />
      ) : (
        <EstablishmentFormSection
          key={editing.key}
          initial={editing.form}
          providers={withProvider(territoryProviders, editing.provider)}
          onRecorded={(name, created) => announce(created ? `« ${name} » est créé et publié.` : `« ${name} » est modifié ; la modification est publiée.`)}
          onCancel={() => setEditing((e) => ({ form: EMPTY_FORM, provider: null, key: e.key + 1 }))}
        />
      )}
    </>
  );
}

/** The providers to choose from, with the edited entry's own even when the list is cut at its first 200. */
function withProvider(providers: Provider[], own: Provider | null): Provider[] {
  return own && !providers.some((p) => p.id === own.id) ? [own, ...providers] : providers;
}

/** « Ouvert », « Ouvert — fermeture le 31/12/2026 » (it is still in the public catalogue) or « Fermé depuis le … ». */
function stateOf(entry: Entry): string {
  if (!entry.closedOn) return entry.statusLabel;
  const day = formatNumericDay(entry.closedOn);
  return entry.status === "FERME" ? `${entry.statusLabel} depuis le ${day}` : `${entry.statusLabel} — fermeture le ${day}`;
}

function RegisterTable({ entries, onEdit, onClose }: { entries: Entry[]; onEdit(entry: Entry): void; onClose(entry: Entry): void }) {
  return (
    <TableFrame label="Établissements du registre">
      <table>
        <caption>Établissements du registre</caption>
        <thead>
          <tr>
            <th scope="col">Nom</th>
            <th scope="col">Type</th>
            <th scope="col">Adresse</th>
            <th scope="col">Gestionnaire</th>
            <th scope="col">État</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <th scope="row">{entry.name}</th>
              <td>
                {entry.categoryLabel}
                {entry.eajeTypeLabel && ` (${entry.eajeTypeLabel})`}
                {entry.capacity != null && `, ${entry.capacity} places`}
              </td>
              <td>
                {[entry.streetNumber, entry.streetName].filter(Boolean).join(" ")}
                {entry.streetName && ", "}
                {entry.postalCode} {entry.communeName}
              </td>
              <td>
                {entry.provider.name}
                {entry.provider.siret && <span className="fr-hint-text">SIRET {entry.provider.siret}</span>}
              </td>
              <td>
                <Badge small severity={entry.status === "FERME" ? "error" : entry.closedOn ? "warning" : "success"}>
                  {stateOf(entry)}
                </Badge>
                {entry.closureReason && <span className="fr-hint-text">{entry.closureReason}</span>}
              </td>
              <td>
                {!entry.closedOn && (
                  <ul className="fr-btns-group fr-btns-group--sm fr-btns-group--inline">
                    <li>
                      <Button size="small" priority="secondary" title={`Modifier « ${entry.name} »`} onClick={() => onEdit(entry)}>
                        Modifier
                      </Button>
                    </li>
                    <li>
                      <Button size="small" priority="tertiary" title={`Fermer « ${entry.name} »`} onClick={() => onClose(entry)}>
                        Fermer
                      </Button>
                    </li>
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableFrame>
  );
}
