/**
 * The availability grid: days × slots of a crèche, what may be entered on each day, and the batch sent to
 * `publishAvailabilities` (cancel and replace per date: every date sent is replaced whole by what is sent).
 */
import type { AvailabilityInput, Slot } from "@/gql/graphql";
import { addDays, formatNumericDay, mondayOf } from "@/lib/dates";
import { closedReason, type Closures } from "./calendar";

export const SLOTS: readonly { slot: Slot; label: string }[] = [
  { slot: "JOURNEE", label: "Journée" },
  { slot: "MATIN", label: "Matin" },
  { slot: "APRES_MIDI", label: "Après-midi" },
];
/** Arrêté du 31 août 2021: an availability is communicated at least 3 days before its date. */
export const NOTICE_DAYS = 3;
export const MAX_PLACES = 500;

/** What the agent typed, by `date|slot`; a cell absent from the edits shows what is published. */
export type Cells = Record<string, string>;

export const cellKey = (day: string, slot: Slot) => `${day}|${slot}`;
export const dayOfKey = (key: string) => key.split("|")[0]!;

export interface DayRule {
  editable: boolean;
  /** Why the day cannot take availabilities, shown on the grid. */
  reason?: string;
}

export function dayRule(day: string, today: string, closures: Closures | null, departement: string): DayRule {
  const earliest = addDays(today, NOTICE_DAYS);
  if (day < earliest) {
    return { editable: false, reason: `moins de ${NOTICE_DAYS} jours : le ${formatNumericDay(earliest)} au plus tôt` };
  }
  const closed = closedReason(closures, day, departement);
  return closed ? { editable: false, reason: closed } : { editable: true };
}

/** The 7 days of the week `offset` weeks after the one holding `today`. */
export function weekDays(today: string, offset: number): string[] {
  const monday = addDays(mondayOf(today), offset * 7);
  return Array.from({ length: 7 }, (_, index) => addDays(monday, index));
}

/** Published places by cell (entries of one cell for several age groups are added up). */
export function publishedCells(availabilities: readonly { date: string; slot: Slot; places: number }[]): Cells {
  const cells: Record<string, number> = {};
  for (const { date, slot, places } of availabilities) {
    const key = cellKey(date, slot);
    cells[key] = (cells[key] ?? 0) + places;
  }
  return Object.fromEntries(Object.entries(cells).map(([key, places]) => [key, String(places)]));
}

export const shown = (edits: Cells, published: Cells, key: string) => edits[key] ?? published[key] ?? "";

/** Dates whose cells differ from what is published: only those are sent. */
export function changedDates(edits: Cells, published: Cells): string[] {
  const dates = new Set<string>();
  for (const [key, value] of Object.entries(edits)) {
    if (value.trim() !== (published[key] ?? "")) dates.add(dayOfKey(key));
  }
  return [...dates].sort();
}

/** « Copier la semaine précédente »: each open day of the week takes the cells of the same day a week before. */
export function copyPreviousWeek(edits: Cells, published: Cells, days: readonly string[], rule: (day: string) => DayRule): Cells {
  const copied = { ...edits };
  for (const day of days) {
    if (!rule(day).editable) continue;
    for (const { slot } of SLOTS) copied[cellKey(day, slot)] = shown(edits, published, cellKey(addDays(day, -7), slot));
  }
  return copied;
}

export interface Batch {
  availabilities: AvailabilityInput[];
  /** The cell of each entry, in order: the API's `availabilities[i]` errors go back to it. */
  keys: string[];
  /** Refusals found before sending, by cell. */
  errors: Record<string, string>;
}

/** The batch for the changed dates; a date whose cells were all emptied is sent as 0 places (it cancels it). */
export function buildBatch(edits: Cells, published: Cells, rule: (day: string) => DayRule): Batch {
  const batch: Batch = { availabilities: [], keys: [], errors: {} };
  for (const day of changedDates(edits, published)) {
    const verdict = rule(day);
    let filled = 0;
    for (const { slot } of SLOTS) {
      const key = cellKey(day, slot);
      const value = shown(edits, published, key).trim();
      if (value === "") continue;
      filled += 1;
      const places = Number(value);
      if (!verdict.editable) batch.errors[key] = `Jour non modifiable (${verdict.reason}).`;
      else if (!/^\d+$/.test(value) || places > MAX_PLACES) batch.errors[key] = `Un nombre de places de 0 à ${MAX_PLACES}.`;
      else {
        batch.availabilities.push({ date: day, slot, places });
        batch.keys.push(key);
      }
    }
    if (filled === 0 && verdict.editable) {
      batch.availabilities.push({ date: day, slot: "JOURNEE", places: 0 });
      batch.keys.push(cellKey(day, "JOURNEE"));
    }
  }
  return batch;
}

/** The API's refusals on their cells: `availabilities[3].places` is about the 4th entry sent. */
export function placeBatchErrors(
  userErrors: readonly { field?: string | null; message: string }[],
  keys: readonly string[],
): { byCell: Record<string, string>; general: string[] } {
  const byCell: Record<string, string> = {};
  const general: string[] = [];
  for (const error of userErrors) {
    const index = /^(?:input\.)?availabilities\[(\d+)\]/.exec(error.field ?? "")?.[1];
    const key = index === undefined ? undefined : keys[Number(index)];
    if (key === undefined) general.push(error.message);
    else byCell[key] = byCell[key] ? `${byCell[key]} ${error.message}` : error.message;
  }
  return { byCell, general };
}
