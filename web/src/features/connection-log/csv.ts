import type { ConnectionEvent } from "@/gql/graphql";

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

/** The query's filters from the form's: an empty field filters on nothing; the days are Paris days, inclusive. */
export function logVariables(c: { agentNumber: string; providerId: string; days: number; kind: string; from: string; to: string }) {
  return {
    agentNumber: c.agentNumber.trim() || null,
    providerId: c.providerId || null,
    days: c.days,
    from: c.from || null,
    to: c.to || null,
    events: c.kind === "" ? null : [c.kind as ConnectionEvent],
  };
}
