/** The connection log as CSV (RFC 4180, `;` as in French spreadsheets, a BOM so that accents open right). */
export interface LogEntry {
  at: string;
  identifier: string;
  agentNumber?: string | null;
  event: string;
  eventLabel: string;
  address?: string | null;
  userAgent?: string | null;
}

const HEADER = ["Date et heure (UTC)", "Identifiant", "Numéro d'agent", "Code", "Événement", "Adresse", "Navigateur"];

function cell(value: string | null | undefined): string {
  const text = value ?? "";
  return /[";\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvOf(entries: LogEntry[]): string {
  const rows = entries.map((e) => [e.at, e.identifier, e.agentNumber, e.event, e.eventLabel, e.address, e.userAgent].map(cell).join(";"));
  return `\uFEFF${[HEADER.join(";"), ...rows].join("\r\n")}\r\n`;
}

/** Entries of the chosen kind and within the chosen days (`YYYY-MM-DD`, inclusive, UTC). */
export function filterEntries<T extends LogEntry>(entries: T[], kind: string, from: string, to: string): T[] {
  return entries.filter(
    (e) => (kind === "" || e.event === kind) && (from === "" || e.at.slice(0, 10) >= from) && (to === "" || e.at.slice(0, 10) <= to),
  );
}
