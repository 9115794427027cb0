import { Button } from "@codegouvfr/react-dsfr/Button";
import { useState, type FormEvent } from "react";
import type { OperationResult } from "@urql/core";
import { useClient, useQuery } from "urql";
import { TableFrame } from "@/components/TableFrame";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { ConnectionLogQuery as ConnectionLogData } from "@/gql/graphql";
import { formatDateTime } from "@/lib/dates";
import { ConnectionLogQuery, LogProvidersQuery } from "../api/operations";
import { csvOf, logVariables, type LogEntry } from "../csv";

const KINDS: [string, string][] = [
  ["", "Toutes"],
  ["LOGIN_OK", "Connexion"],
  ["LOGIN_FAILED", "Échec de connexion"],
  ["LOGIN_THROTTLED", "Connexion refusée (trop de tentatives)"],
  ["REFRESH_REUSED", "Jeton réutilisé : session révoquée"],
  ["LOGOUT", "Déconnexion"],
  ["PASSWORD_CHANGED", "Mot de passe changé"],
  ["RESET_REQUESTED", "Mot de passe perdu : demande sans suite"],
  ["PASSWORD_RESET", "Mot de passe perdu : nouveau mot de passe envoyé"],
  ["SAISIE_DISPONIBILITES", "Saisie de disponibilités"],
  ["SAISIE_MODALITES", "Saisie de modalités de fonctionnement"],
];

interface Criteria {
  agentNumber: string;
  providerId: string;
  days: number;
  kind: string;
  from: string;
  to: string;
}

const MAX_PAGES = 50;

/** The connection log of the Caf's territory: the provider agents' sign-ins and entries (convention, art. 3-4). */
export function ConnectionLogPage() {
  usePageTitle("Journal des connexions");
  const [draft, setDraft] = useState<Criteria>({ agentNumber: "", providerId: "", days: 30, kind: "", from: "", to: "" });
  const [criteria, setCriteria] = useState(draft);
  const [after, setAfter] = useState<string | null>(null);
  const [earlier, setEarlier] = useState<(string | null)[]>([]);
  const variables = { ...logVariables(criteria), after };
  const [{ data, error, fetching }] = useQuery({ query: ConnectionLogQuery, variables });
  const [{ data: providers }] = useQuery({ query: LogProvidersQuery });
  const client = useClient();
  const [exporting, setExporting] = useState(false);

  function search(event: FormEvent) {
    event.preventDefault();
    setCriteria(draft);
    setAfter(null);
    setEarlier([]);
  }

  async function exportCsv() {
    setExporting(true);
    const entries: LogEntry[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result: OperationResult<ConnectionLogData> = await client
        .query(ConnectionLogQuery, { ...variables, after: cursor }, { requestPolicy: "network-only" })
        .toPromise();
      const log = result.data?.connectionLog;
      if (!log) break;
      entries.push(...log.edges.map((e) => e.node));
      if (!log.pageInfo.hasNextPage || !log.pageInfo.endCursor) break;
      cursor = log.pageInfo.endCursor;
    }
    const blob = new Blob([csvOf(entries)], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `journal-des-connexions-${new Date().toISOString().slice(0, 10)}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
    setExporting(false);
  }

  const set = <K extends keyof Criteria>(key: K, value: Criteria[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const log = data?.connectionLog;
  const rows = log ? log.edges.map((e) => e.node) : [];
  return (
    <>
      <h1>Journal des connexions</h1>
      <p>Les connexions et saisies des agents des fournisseurs de votre territoire, les plus récentes d'abord.</p>
      <form className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom fr-mb-2w" onSubmit={search} aria-label="Filtres du journal">
        <div className="fr-col-12 fr-col-md-6 fr-select-group">
          <label className="fr-label" htmlFor="j-provider">
            Fournisseur
          </label>
          <select id="j-provider" className="fr-select" value={draft.providerId} onChange={(e) => set("providerId", e.target.value)}>
            <option value="">Tous</option>
            {(providers?.territoryProviders ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.siret ? `${p.name} (${p.siret})` : p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="fr-col-12 fr-col-md-3 fr-input-group">
          <label className="fr-label" htmlFor="j-agent">
            Numéro d'agent
          </label>
          <input id="j-agent" className="fr-input" value={draft.agentNumber} onChange={(e) => set("agentNumber", e.target.value)} />
        </div>
        <div className="fr-col-12 fr-col-md-3 fr-select-group">
          <label className="fr-label" htmlFor="j-kind">
            Type d'entrée
          </label>
          <select id="j-kind" className="fr-select" value={draft.kind} onChange={(e) => set("kind", e.target.value)}>
            {KINDS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="fr-col-12 fr-col-md-3 fr-input-group">
          <label className="fr-label" htmlFor="j-days">
            Sur les derniers jours
          </label>
          <input id="j-days" type="number" min={1} max={365} className="fr-input" value={draft.days} onChange={(e) => set("days", Number(e.target.value) || 30)} />
        </div>
        <div className="fr-col-12 fr-col-md-3 fr-input-group">
          <label className="fr-label" htmlFor="j-from">
            Du
          </label>
          <input id="j-from" type="date" className="fr-input" value={draft.from} onChange={(e) => set("from", e.target.value)} />
        </div>
        <div className="fr-col-12 fr-col-md-3 fr-input-group">
          <label className="fr-label" htmlFor="j-to">
            Au
          </label>
          <input id="j-to" type="date" className="fr-input" value={draft.to} onChange={(e) => set("to", e.target.value)} />
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Button type="submit">Filtrer</Button>
        </div>
      </form>
      {error && !data && <Failure error={error} title="Impossible d'afficher le journal" />}
      {!data && fetching && <Loading what="du journal" />}
      {log && (
        <>
          <p>
            {log.totalCount} entrée{log.totalCount > 1 ? "s" : ""} avec ces filtres ; {rows.length} affichée{rows.length > 1 ? "s" : ""} sur cette page.{" "}
            <Button size="small" priority="secondary" iconId="fr-icon-download-line" disabled={exporting} onClick={() => void exportCsv()}>
              Exporter en CSV
            </Button>
          </p>
          <TableFrame label="Entrées du journal">
            <table>
              <caption>Entrées du journal</caption>
              <thead>
                <tr>
                  <th scope="col">Date et heure</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Événement</th>
                  <th scope="col">Adresse</th>
                  <th scope="col">Navigateur</th>
                </tr>
              </thead>
              <tbody>
                {rows.length === 0 && (
                  <tr>
                    <td colSpan={5}>Aucune entrée avec ces filtres.</td>
                  </tr>
                )}
                {rows.map((e, index) => (
                  <tr key={`${e.at}-${index}`}>
                    <td>{formatDateTime(e.at)}</td>
                    <td>
                      {e.identifier}
                      {e.agentNumber && ` (${e.agentNumber})`}
                    </td>
                    <td>{e.eventLabel}</td>
                    <td>{e.address ?? "—"}</td>
                    <td>{e.userAgent ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button
                priority="secondary"
                disabled={earlier.length === 0}
                onClick={() => {
                  setAfter(earlier[earlier.length - 1] ?? null);
                  setEarlier((p) => p.slice(0, -1));
                }}
              >
                Page précédente
              </Button>
            </li>
            <li>
              <Button
                priority="secondary"
                disabled={!log.pageInfo.hasNextPage}
                onClick={() => {
                  setEarlier((p) => [...p, after]);
                  setAfter(log.pageInfo.endCursor ?? null);
                }}
              >
                Page suivante
              </Button>
            </li>
          </ul>
        </>
      )}
    </>
  );
}
