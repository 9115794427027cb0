/**
 * The signed-in session. The access token lives in memory only. The refresh token lives in memory too while the
 * page lives, and is parked in sessionStorage only across a reload (`park()` on pagehide, taken back and removed
 * at start-up): a reload keeps the session, closing the tab ends it, and a tab opened or duplicated from this one
 * (which copies sessionStorage) gets no copy of it — two tabs rotating one refresh token would look like a replay
 * and revoke the session (docs/security.md). The access token is renewed a minute before it expires and, once,
 * when the API says UNAUTHENTICATED; a refused renewal ends the session as « expired » (the screens keep their
 * drafts).
 */

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds. */
  expiresIn: number;
  mustChangePassword: boolean;
}

/** Asks the API for new tokens; "refused" when the refresh token is no longer valid. Throws on a network failure. */
export type Refresher = (refreshToken: string) => Promise<Tokens | "refused">;

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type SessionEvent = "started" | "refreshed" | "expired" | "ended";

const REFRESH_KEY = "structures.refreshToken";
const ACCOUNT_KEY = "structures.account";
const MUST_CHANGE_KEY = "structures.mustChangePassword";

export class SessionManager {
  private access: { token: string; expiresAt: number } | null = null;
  private refreshToken: string | null;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<(event: SessionEvent) => void>();

  constructor(
    private readonly refresher: Refresher,
    private readonly storage: KeyValueStore,
    private readonly now: () => number = Date.now,
    /** Renew this long before the access token expires. */
    private readonly marginMs = 60_000,
  ) {
    this.refreshToken = storage.getItem(REFRESH_KEY);
    storage.removeItem(REFRESH_KEY);
  }

  /** Before the page goes (a reload): the refresh token waits in the tab's storage for the next page. */
  park(): void {
    if (this.refreshToken !== null) this.storage.setItem(REFRESH_KEY, this.refreshToken);
  }

  /** The page stayed (back from the back-forward cache): nothing stays parked. */
  unpark(): void {
    this.storage.removeItem(REFRESH_KEY);
  }

  /** After login or a password change. */
  start(tokens: Tokens, account: string): void {
    this.storage.setItem(ACCOUNT_KEY, account);
    this.keep(tokens);
    this.emit("started");
  }

  /** The identifier the session was opened with: drafts are kept per account. */
  get account(): string | null {
    return this.storage.getItem(ACCOUNT_KEY);
  }

  get accessToken(): string | null {
    return this.access?.token ?? null;
  }

  get mustChangePassword(): boolean {
    return this.storage.getItem(MUST_CHANGE_KEY) === "true";
  }

  /** A session exists in this tab (perhaps with no access token yet, after a reload). */
  get active(): boolean {
    return this.refreshToken !== null;
  }

  /** No access token, or one that expires within the margin. */
  needsRefresh(): boolean {
    return this.access === null || this.now() >= this.access.expiresAt - this.marginMs;
  }

  /**
   * Renews the access token; concurrent callers share one request (a refresh token is single use). Resolves
   * false when there is no session or the API refused (the session then ends as expired); rejects on a network
   * failure, keeping the session for a later try.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** The API refused the session: back to sign-in, keeping the account so that drafts are found again. */
  expire(): void {
    const wasActive = this.active || this.access !== null;
    this.clearTokens();
    if (wasActive) this.emit("expired");
  }

  /** Sign out. */
  end(): void {
    this.clearTokens();
    this.storage.removeItem(ACCOUNT_KEY);
    this.emit("ended");
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async renew(): Promise<boolean> {
    const refreshToken = this.refreshToken;
    if (refreshToken === null) return false;
    const answer = await this.refresher(refreshToken);
    if (answer === "refused") {
      this.expire();
      return false;
    }
    this.keep(answer);
    this.emit("refreshed");
    return true;
  }

  private keep(tokens: Tokens): void {
    this.access = { token: tokens.accessToken, expiresAt: this.now() + tokens.expiresIn * 1000 };
    this.refreshToken = tokens.refreshToken;
    this.storage.setItem(MUST_CHANGE_KEY, String(tokens.mustChangePassword));
  }

  private clearTokens(): void {
    this.access = null;
    this.refreshToken = null;
    this.storage.removeItem(REFRESH_KEY);
    this.storage.removeItem(MUST_CHANGE_KEY);
  }

  private emit(event: SessionEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
