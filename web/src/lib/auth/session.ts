/**
 * The signed-in session: the access token in memory only, the refresh token in sessionStorage (see
 * docs/security.md: a reload keeps the session, closing the tab ends it, and no other tab or later visitor of the
 * browser finds it). The access token is renewed a minute before it expires and, once, when the API says
 * UNAUTHENTICATED; a refresh the API refuses ends the session as « expired » (the screens keep their drafts).
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
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<(event: SessionEvent) => void>();

  constructor(
    private readonly refresher: Refresher,
    private readonly storage: KeyValueStore,
    private readonly now: () => number = Date.now,
    /** Renew this long before the access token expires. */
    private readonly marginMs = 60_000,
  ) {}

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
    return this.storage.getItem(REFRESH_KEY) !== null;
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
    const refreshToken = this.storage.getItem(REFRESH_KEY);
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
    this.storage.setItem(REFRESH_KEY, tokens.refreshToken);
    this.storage.setItem(MUST_CHANGE_KEY, String(tokens.mustChangePassword));
  }

  private clearTokens(): void {
    this.access = null;
    this.storage.removeItem(REFRESH_KEY);
    this.storage.removeItem(MUST_CHANGE_KEY);
  }

  private emit(event: SessionEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
