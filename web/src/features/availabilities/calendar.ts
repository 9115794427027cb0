/**
 * When a crèche is closed, as the gateway judges it before accepting an availability
 * (gateway/catalogue/calendar.py): its weekly opening days, annual and dated closures, and public holidays
 * (plus Vendredi saint and Saint-Étienne in Alsace-Moselle). Shown on the grid before anything is sent; the API's
 * answer still decides.
 */
import { addDays, weekdayIndex } from "@/lib/dates";

export const WEEKDAYS = ["LUNDI", "MARDI", "MERCREDI", "JEUDI", "VENDREDI", "SAMEDI", "DIMANCHE"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const WEEKDAY_LABELS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];

export interface Closures {
  /** Days with at least one opening slot; empty when the hours are not given (then no day is closed by them). */
  openDays: readonly Weekday[];
  closurePeriods: readonly string[];
  datedClosures: readonly { start: string; end: string; label: string }[];
  closedOnPublicHolidays: boolean;
}

const ALSACE_MOSELLE = new Set(["57", "67", "68"]);

const iso = (year: number, month: number, day: number) =>
  `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;

export function easter(year: number): string {
  const a = year % 19, b = Math.floor(year / 100), c = year % 100;
  const d = Math.floor(b / 4), e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4;
  const m = (32 + 2 * e + 2 * i - h - k) % 7;
  const n = Math.floor((a + 11 * h + 22 * m) / 451);
  const month = Math.floor((h + m - 7 * n + 114) / 31);
  const day = ((h + m - 7 * n + 114) % 31) + 1;
  return iso(year, month, day);
}

export function publicHolidays(year: number, departement: string): Set<string> {
  const sunday = easter(year);
  const days = new Set([
    iso(year, 1, 1), addDays(sunday, 1), iso(year, 5, 1), iso(year, 5, 8), addDays(sunday, 39),
    addDays(sunday, 50), iso(year, 7, 14), iso(year, 8, 15), iso(year, 11, 1), iso(year, 11, 11), iso(year, 12, 25),
  ]);
  if (ALSACE_MOSELLE.has(departement)) {
    days.add(addDays(sunday, -2));
    days.add(iso(year, 12, 26));
  }
  return days;
}

/** The département of an INSEE commune code (2A/2B, 97x overseas). */
export function departementOf(communeInsee: string): string {
  return communeInsee.startsWith("97") ? communeInsee.slice(0, 3) : communeInsee.slice(0, 2);
}

/** Why the crèche is closed on `day` (in French), or null. */
export function closedReason(closures: Closures | null, day: string, departement: string): string | null {
  if (closures === null) return null;
  const weekday = weekdayIndex(day);
  if (closures.openDays.length > 0 && !closures.openDays.includes(WEEKDAYS[weekday]!)) {
    return `fermé le ${WEEKDAY_LABELS[weekday]}`;
  }
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const periods = new Set(closures.closurePeriods);
  if (periods.has("JUILLET") && month === 7) return "fermeture annuelle en juillet";
  if (periods.has("AOUT") && month === 8) return "fermeture annuelle en août";
  if (periods.has("NOEL_NOUVEL_AN") && ((month === 12 && date >= 25) || (month === 1 && date === 1))) {
    return "fermeture de Noël et du Nouvel an";
  }
  for (const closure of closures.datedClosures) {
    if (closure.start <= day && day <= closure.end) return `fermeture : ${closure.label || "période fermée"}`;
  }
  if (closures.closedOnPublicHolidays && publicHolidays(year, departement).has(day)) return "jour férié";
  return null;
}
