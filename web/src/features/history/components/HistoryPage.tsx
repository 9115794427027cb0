import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useState } from "react";
import { useQuery } from "urql";
import { TableFrame } from "@/components/TableFrame";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import { addDays, formatDateTime, formatNumericDay, todayInParis } from "@/lib/dates";
import { SubmissionHistoryQuery, TransmissionHistoryQuery } from "../api/operations";
import { transmissionsOf } from "../transmissions";

const CHANNELS: Record<string, string> = {
  SAISIE_ESPACE_PRO: "Saisie dans l'espace professionnel",
  TRANSMISSION_INFORMATISEE: "Transmission informatisée",
};

export function HistoryPage() {
  usePageTitle("Historique");
  const [pages, setPages] = useState<(string | null)[]>([null]);
  return (
    <>
      <h1>Historique</h1>
      <h2>Mes saisies de modalités de fonctionnement</h2>
      <TableFrame label="Saisies, les plus récentes d'abord">
        <table>
          <caption>Saisies, les plus récentes d'abord</caption>
          <thead>
            <tr>
              <th scope="col">Soumise le</th>
              <th scope="col">Établissement</th>
              <th scope="col">Version</th>
              <th scope="col">État</th>
              <th scope="col">Motifs et commentaire de la Caf</th>
            </tr>
          </thead>
          <tbody>
            {pages.map((after, index) => (
              <SubmissionRows key={after ?? "first"} after={after} last={index === pages.length - 1} onMore={(cursor) => setPages((p) => [...p, cursor])} />
            ))}
          </tbody>
        </table>
      </TableFrame>
      <Transmissions />
    </>
  );
}

function SubmissionRows({ after, last, onMore }: { after: string | null; last: boolean; onMore(cursor: string): void }) {
  const [{ data, error, fetching }] = useQuery({ query: SubmissionHistoryQuery, variables: { after } });
  const colSpan = 5;
  if (error && !data) return <tr><td colSpan={colSpan}><Failure error={error} title="Impossible d'afficher vos saisies" /></td></tr>;
  if (!data) return fetching ? <tr><td colSpan={colSpan}><Loading what="de vos saisies" /></td></tr> : null;
  const { edges, pageInfo, totalCount } = data.mySubmissions;
  return (
    <>
      {totalCount === 0 && <tr><td colSpan={colSpan}>Aucune saisie pour le moment.</td></tr>}
      {edges.map(({ node }) => (
        <tr key={node.id}>
          <td>{formatDateTime(node.submittedAt)}</td>
          <td>{node.establishment?.name ?? "—"}</td>
          <td>{node.version}</td>
          <td>
            <Badge small severity={node.status === "REJECTED" ? "error" : node.status === "APPROVED" ? "success" : "info"}>{node.statusLabel}</Badge>
          </td>
          <td>
            {node.reasons?.map((r) => r.label).join(" ; ")}
            {node.comment && ` — « ${node.comment} »`}
          </td>
        </tr>
      ))}
      {last && pageInfo.hasNextPage && pageInfo.endCursor && (
        <tr>
          <td colSpan={colSpan}>
            <Button priority="secondary" size="small" onClick={() => onMore(pageInfo.endCursor!)}>
              Afficher les saisies plus anciennes
            </Button>
          </td>
        </tr>
      )}
    </>
  );
}

function Transmissions() {
  const today = todayInParis();
  const [{ data, error, fetching }] = useQuery({ query: TransmissionHistoryQuery, variables: { from: addDays(today, -30), to: addDays(today, 60) } });
  return (
    <>
      <h2 className="fr-mt-6w">Mes transmissions de disponibilités</h2>
      <p>
        Les transmissions dont les disponibilités sont encore publiées, du {formatNumericDay(addDays(today, -30))} au{" "}
        {formatNumericDay(addDays(today, 60))}. Une date transmise à nouveau n'apparaît que sous sa dernière transmission.
      </p>
      {error && !data && <Failure error={error} title="Impossible d'afficher vos transmissions" />}
      {!data && fetching && <Loading what="de vos transmissions" />}
      {data?.me.establishments
        .filter((held) => held.establishment.category === "EAJE" && held.rights.some((r) => r.code === "AVAILABILITY"))
        .map(({ establishment }) => {
          const transmissions = transmissionsOf(establishment.availabilities);
          return (
            <section key={establishment.id} aria-labelledby={`transmissions-${establishment.id}`}>
              <h3 id={`transmissions-${establishment.id}`} className="fr-h5">{establishment.name}</h3>
              {transmissions.length === 0 ? (
                <p>Aucune disponibilité publiée sur cette période.</p>
              ) : (
                <TableFrame label={`Transmissions de ${establishment.name}`}>
                  <table>
                    <caption>Transmissions de {establishment.name}</caption>
                    <thead>
                      <tr>
                        <th scope="col">Transmise le</th>
                        <th scope="col">Canal</th>
                        <th scope="col">Dates</th>
                        <th scope="col">Places</th>
                      </tr>
                    </thead>
                    <tbody>
                      {transmissions.map((t) => (
                        <tr key={t.communicatedAt}>
                          <td>{formatDateTime(t.communicatedAt)}</td>
                          <td>{CHANNELS[t.channel] ?? t.channel}</td>
                          <td>{t.dates.map(formatNumericDay).join(", ")}</td>
                          <td>{t.places}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableFrame>
              )}
            </section>
          );
        })}
    </>
  );
}
