import type { KeyValueStore } from "@/lib/auth/session";

/**
 * What a person was typing, kept in localStorage per account and screen until it is sent: a network failure, a
 * 5xx, an expired session or a closed tab never loses it. Cleared once the API has accepted it.
 */
export class DraftStore {
  constructor(private readonly storage: KeyValueStore) {}

  key(account: string, screen: string): string {
    return `structures.draft:${account}:${screen}`;
  }

  load<T>(account: string, screen: string): T | null {
    const stored = this.storage.getItem(this.key(account, screen));
    if (stored === null) return null;
    try {
      return (JSON.parse(stored) as { value: T }).value;
    } catch {
      return null; // an unreadable draft is dropped rather than breaking the screen
    }
  }

  save<T>(account: string, screen: string, value: T): void {
    try {
      this.storage.setItem(this.key(account, screen), JSON.stringify({ value, savedAt: new Date().toISOString() }));
    } catch {
      // storage full or refused (private browsing): the form still works, only without the safety net
    }
  }

  clear(account: string, screen: string): void {
    this.storage.removeItem(this.key(account, screen));
  }
}
