import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { TableFrame } from "@/components/TableFrame";
import { Failure, Loading } from "@/components/Failure";
import type { AvailabilityGridQuery as GridData } from "@/gql/graphql";
import { addDays, formatDateTime, formatDay, formatNumericDay, mondayOf, todayInParis } from "@/lib/dates";
import { useDraft } from "@/lib/use-draft";
import { AvailabilityGridQuery, PublishAvailabilitiesMutation } from "../api/operations";
import { departementOf, type Closures, type Weekday } from "../calendar";
import {
  buildBatch,
  cellKey,
  changedDates,
  copyPreviousWeek,
  dayRule,
  placeBatchErrors,
  publishedCells,
  shown,
  SLOTS,
  weekDays,
  type Cells,
} from "../grid";

const WEEKS = 8;

type Establishment = Extract<NonNullable<GridData["node"]>, { __typename?: "Establishment" }>;

function closuresOf(establishment: Establishment): Closures | null {
  const info = establishment.operatingInfo;
  if (!info) return null;
  return {
    openDays: [...new Set(info.weeklyHours.map((slot) => slot.day as Weekday))],
    closurePeriods: info.closurePeriods,
    datedClosures: info.datedClosures,
    closedOnPublicHolidays: info.closedOnPublicHolidays,
  };
}

export function AvailabilityGrid({ establishmentId }: { establishmentId: string }) {
  const today = todayInParis();
  const from = mondayOf(today);
  const [{ data, error, fetching }, reload] = useQuery({
    query: AvailabilityGridQuery,
    variables: { id: establishmentId, from, to: addDays(from, WEEKS * 7 - 1) },
  });
  const draft = useDraft<Cells>(`disponibilites:${establishmentId}`, () => ({}));
  const [cellErrors, setCellErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [sent, setSent] = useState<string | null>(null);
  const [result, publish] = useMutation(PublishAvailabilitiesMutation);

  const establishment = data?.node && "availabilities" in data.node ? (data.node as Establishment) : null;
  const published = useMemo(() => publishedCells(establishment?.availabilities ?? []), [establishment]);
  const closures = establishment ? closuresOf(establishment) : null;
  const departement = establishment ? departementOf(establishment.address.communeInsee) : "";
  const rule = (day: string) => dayRule(day, today, closures, departement);

  if (error && !data) return <Failure error={error} title="Impossible d'afficher les disponibilités" />;
  if (!establishment) return fetching ? <Loading what="des disponibilités" /> : null;

  const changed = changedDates(draft.value, published);

  function edit(key: string, value: string) {
    draft.setValue((cells) => ({ ...cells, [key]: value }));
    setSent(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSent(null);
    const batch = buildBatch(draft.value, published, rule);
    setCellErrors(batch.errors);
    setGeneral([]);
    if (Object.keys(batch.errors).length > 0 || batch.availabilities.length === 0) return;
    const answer = await publish({ input: { establishmentId, availabilities: batch.availabilities } });
    const payload = answer.data?.publishAvailabilities;
    if (!payload) return; // network, 5xx, expired session: the draft stays on the device
    const placed = placeBatchErrors(payload.userErrors, batch.keys);
    setCellErrors(placed.byCell);
    setGeneral(placed.general);
    if (payload.userErrors.length === 0) {
      draft.reset({});
      setSent(`${changed.length} date(s) publiée(s) : ${changed.map(formatNumericDay).join(", ")}.`);
      reload({ requestPolicy: "network-only" });
    }
  }

  const errorCount = Object.keys(cellErrors).length;
  return (
    <form onSubmit={submit} noValidate>
      <p>
        {establishment.availabilityStatus?.label}
        {establishment.availabilityStatus?.updatedAt &&
          ` — dernière transmission le ${formatDateTime(establishment.availabilityStatus.updatedAt)}`}
      </p>
      {!closures && (
        <Alert
          small
          severity="info"
          role={undefined}
          className="fr-mb-3w"
          description="Aucunes modalités de fonctionnement publiées : les jours de fermeture ne peuvent pas être indiqués à l'avance."
        />
      )}
      {draft.restored && changed.length > 0 && (
        <Alert
          small
          severity="info"
          role={undefined}
          className="fr-mb-3w"
          description="Une saisie non envoyée a été retrouvée sur cet appareil : vérifiez-la puis publiez-la."
        />
      )}
      {result.error && <Failure error={result.error} title="Les disponibilités n'ont pas été publiées" />}
      {(errorCount > 0 || general.length > 0) && (
        <div className="fr-mb-3w">
          <Alert
            severity="error"
            title="Les disponibilités n'ont pas été publiées"
            description={
              <ul>
                {general.map((message) => (
                  <li key={message}>{message}</li>
                ))}
                {Object.entries(cellErrors).map(([key, message]) => (
                  <li key={key}>
                    <a href={`#${inputId(key)}`}>{cellName(key)}</a> : {message}
                  </li>
                ))}
              </ul>
            }
          />
        </div>
      )}
      {sent && (
        <Alert className="fr-mb-3w" severity="success" role="status" title="Disponibilités publiées" description={sent} />
      )}
      {Array.from({ length: WEEKS }, (_, offset) => (
        <Week
          key={offset}
          days={weekDays(today, offset)}
          first={offset === 0}
          cells={(key) => shown(draft.value, published, key)}
          errors={cellErrors}
          rule={rule}
          onEdit={edit}
          onCopy={(days) => draft.setValue((cells) => copyPreviousWeek(cells, published, days, rule))}
        />
      ))}
      <div className="fr-my-3w" aria-live="polite">
        {changed.length === 0 ? "Aucune modification à publier." : `${changed.length} date(s) modifiée(s), non publiée(s).`}
      </div>
      <Button type="submit" disabled={result.fetching || changed.length === 0}>
        {result.fetching ? "Publication…" : "Publier les disponibilités"}
      </Button>
    </form>
  );
}

const inputId = (key: string) => `dispo-${key.replace("|", "-")}`;
const SLOT_LABEL = Object.fromEntries(SLOTS.map(({ slot, label }) => [slot, label]));
const cellName = (key: string) => {
  const [day, slot] = key.split("|") as [string, string];
  return `${formatDay(day)}, ${SLOT_LABEL[slot]?.toLowerCase() ?? slot}`;
};

function Week({
  days,
  first,
  cells,
  errors,
  rule,
  onEdit,
  onCopy,
}: {
  days: string[];
  first: boolean;
  cells(key: string): string;
  errors: Record<string, string>;
  rule(day: string): { editable: boolean; reason?: string };
  onEdit(key: string, value: string): void;
  onCopy(days: string[]): void;
}) {
  const title = `Semaine du ${formatNumericDay(days[0]!)} au ${formatNumericDay(days[6]!)}`;
  const anyOpen = days.some((day) => rule(day).editable);
  return (
    <div className="fr-mb-5w">
      <h2 id={`semaine-${days[0]}`} className="fr-h4">{title}</h2>
      {!first && anyOpen && (
        <Button type="button" priority="secondary" size="small" iconId="ri-file-copy-line" onClick={() => onCopy(days)} className="fr-mb-2w">
          Copier la semaine précédente
        </Button>
      )}
      <TableFrame label={title} noCaption>
        <table>
          <caption>{title} : places libres par jour et par créneau</caption>
          <thead>
            <tr>
              <th scope="col">Jour</th>
              {SLOTS.map(({ slot, label }) => (
                <th key={slot} scope="col">
                  {label}
                  <span className="fr-sr-only"> : places libres</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((day) => {
              const verdict = rule(day);
              return (
                <tr key={day}>
                  <th scope="row">
                    {formatDay(day)}
                    {verdict.reason && <span className="fr-hint-text">Non modifiable : {verdict.reason}</span>}
                  </th>
                  {SLOTS.map(({ slot, label }) => {
                    const key = cellKey(day, slot);
                    const error = errors[key];
                    return (
                      <td key={slot}>
                        <div className={`fr-input-group${error ? " fr-input-group--error" : ""} fr-mb-0`}>
                          <label className="fr-sr-only" htmlFor={inputId(key)}>
                            {label}, {formatDay(day)} : places libres
                          </label>
                          <input
                            id={inputId(key)}
                            className={`fr-input${error ? " fr-input--error" : ""}`}
                            type="text"
                            inputMode="numeric"
                            pattern="[0-9]*"
                            size={4}
                            value={cells(key)}
                            disabled={!verdict.editable}
                            aria-invalid={error ? true : undefined}
                            aria-describedby={error ? `${inputId(key)}-erreur` : undefined}
                            onChange={(e) => onEdit(key, e.target.value)}
                          />
                          {error && (
                            <p id={`${inputId(key)}-erreur`} className="fr-error-text">
                              {error}
                            </p>
                          )}
                        </div>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableFrame>
    </div>
  );
}
