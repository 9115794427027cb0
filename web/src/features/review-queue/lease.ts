/** Who holds an item now, and for how long: the lease ends at the API's claimExpiresAt. */
export type Holder = "me" | "other" | "nobody";

export interface Claim {
  claimedBy?: string | null;
  claimExpiresAt?: string | null;
}

export function remainingSeconds(claim: Claim, now: number): number {
  if (!claim.claimedBy || !claim.claimExpiresAt) return 0;
  return Math.max(0, Math.ceil((Date.parse(claim.claimExpiresAt) - now) / 1000));
}

export function holderOf(claim: Claim, me: string | null, now: number): Holder {
  if (remainingSeconds(claim, now) <= 0) return "nobody";
  return claim.claimedBy === me ? "me" : "other";
}

/** « 14 min 05 s », « 42 s ». */
export function formatRemaining(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return minutes > 0 ? `${minutes} min ${rest} s` : `${seconds % 60} s`;
}

/** « 3 h 20 min », « 2 j 4 h »: how long an item has waited. */
export function formatAge(since: string, now: number): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(since)) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} j ${hours % 24} h`;
}
