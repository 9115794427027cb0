export interface PublishedEntry {
  date: string;
  places: number;
  communicatedAt: string;
  channel: string;
}

export interface Transmission {
  communicatedAt: string;
  channel: string;
  dates: string[];
  places: number;
}

/**
 * The transmissions still visible in what is published: entries sent together share their `communicatedAt`.
 * A date replaced later shows only under its latest transmission (the API keeps no log of replaced entries).
 */
export function transmissionsOf(entries: readonly PublishedEntry[]): Transmission[] {
  const byInstant = new Map<string, Transmission>();
  for (const entry of entries) {
    const known = byInstant.get(entry.communicatedAt) ?? { communicatedAt: entry.communicatedAt, channel: entry.channel, dates: [], places: 0 };
    if (!known.dates.includes(entry.date)) known.dates.push(entry.date);
    known.places += entry.places;
    byInstant.set(entry.communicatedAt, known);
  }
  return [...byInstant.values()]
    .map((t) => ({ ...t, dates: t.dates.sort() }))
    .sort((a, b) => Date.parse(b.communicatedAt) - Date.parse(a.communicatedAt));
}
