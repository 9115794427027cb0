import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { TableFrame } from "@/components/TableFrame";
import type { ReviewItemQuery } from "@/gql-moderation/graphql";
import { fieldOfPath, formatValue, highlight } from "../values";

type Item = NonNullable<ReviewItemQuery["reviewItem"]>;

/** Published ↔ proposed, field by field, with the version the agent started from when it is older (a conflict). */
export function DiffTable({ changes, flags }: { changes: Item["changes"]; flags: Item["flags"] }) {
  const withBase = changes.some((c) => c.conflict);
  return (
    <TableFrame label="Modifications proposées">
      <table>
        <caption>Modifications proposées ({changes.length} champs)</caption>
        <thead>
          <tr>
            <th scope="col">Champ</th>
            <th scope="col">Publié</th>
            <th scope="col">Proposé</th>
            {withBase && <th scope="col">Version de départ de l'agent</th>}
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => {
            const excerpts = flags.filter((f) => fieldOfPath(f.field) === change.field).map((f) => f.excerpt);
            return (
              <tr key={change.field}>
                <th scope="row">
                  {change.label}
                  {change.conflict && (
                    <>
                      {" "}
                      <Badge small severity="warning">
                        Conflit
                      </Badge>
                    </>
                  )}
                </th>
                <td style={{ whiteSpace: "pre-line" }}>
                  {isEmpty(change.published) ? <em>(absent)</em> : <del>{formatValue(change.published)}</del>}
                </td>
                <td style={{ whiteSpace: "pre-line" }}>
                  {isEmpty(change.proposed) ? (
                    <em>(retiré)</em>
                  ) : (
                    <ins>
                      {highlight(formatValue(change.proposed), excerpts).map((part, index) =>
                        part.marked ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>,
                      )}
                    </ins>
                  )}
                </td>
                {withBase && (
                  <td style={{ whiteSpace: "pre-line" }}>
                    {change.conflict ? formatValue(change.base) : "identique à la version publiée"}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableFrame>
  );
}

/** A value the document does not hold: said in words, not drawn as an inserted or deleted dash. */
function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

