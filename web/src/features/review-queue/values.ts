/** How the queue shows a field's value, and where a flag's excerpt sits in it. */
import { AGE_UNITS, CARE_KINDS, CLOSURE_PERIODS, FUNDING } from "@/lib/operating-info-vocabulary";

const AGE_UNITS_LABELS: Record<string, string> = Object.fromEntries(AGE_UNITS.map(({ value, label }) => [value, label]));
const CODES: Record<string, string> = Object.fromEntries(
  [...CLOSURE_PERIODS, ...FUNDING, ...CARE_KINDS].map(({ value, label }) => [value, label]),
);

const WEEKDAYS: Record<string, string> = {
  LUNDI: "lundi",
  MARDI: "mardi",
  MERCREDI: "mercredi",
  JEUDI: "jeudi",
  VENDREDI: "vendredi",
  SAMEDI: "samedi",
  DIMANCHE: "dimanche",
};

/** A JSON value of the operating information, as one readable text (lists one item a line). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "Oui" : "Non";
  if (typeof value === "string") return WEEKDAYS[value] ?? CODES[value] ?? value;
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "—" : value.map(formatValue).join("\n");
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    if ("day" in record && "opens" in record && "closes" in record) {
      return `${formatValue(record.day)} ${String(record.opens).slice(0, 5)}–${String(record.closes).slice(0, 5)}`;
    }
    if ("value" in record && "unit" in record) return `${String(record.value)} ${AGE_UNITS_LABELS[String(record.unit)] ?? String(record.unit).toLowerCase()}`;
    if ("name" in record && "postalCode" in record) return `${String(record.name)} (${String(record.postalCode)})`;
    return Object.entries(record)
      .map(([key, item]) => `${key} : ${formatValue(item)}`)
      .join(", ");
  }
  return String(value);
}

export interface Part {
  text: string;
  marked: boolean;
}

/** The text cut around each occurrence of the excerpts (case-insensitive, without the « … » that shortens a long
 * excerpt), the occurrences marked. */
export function highlight(text: string, excerpts: string[]): Part[] {
  const wanted = excerpts.map((e) => e.replace(/^[\s…]+|[\s…]+$/g, "").toLowerCase()).filter((e) => e !== "");
  const parts: Part[] = [];
  const lower = text.toLowerCase();
  let at = 0;
  while (at < text.length) {
    const next = wanted
      .map((e) => ({ start: lower.indexOf(e, at), length: e.length }))
      .filter((m) => m.start >= 0)
      .sort((a, b) => a.start - b.start)[0];
    if (!next) break;
    if (next.start > at) parts.push({ text: text.slice(at, next.start), marked: false });
    parts.push({ text: text.slice(next.start, next.start + next.length), marked: true });
    at = next.start + next.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), marked: false });
  return parts;
}

/** The top-level field a flag's path names: `datedClosures[0].label` → `datedClosures`. */
export function fieldOfPath(path: string): string {
  return path.split(/[.[]/)[0] ?? path;
}
