import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { SessionManager, Tokens } from "./session";

export type AuthStatus = "restoring" | "signed-out" | "expired" | "must-change-password" | "signed-in";

export interface Auth {
  session: SessionManager;
  status: AuthStatus;
  /** The identifier of the session, or of the one that expired (its drafts are found again after sign-in). */
  account: string | null;
  signIn(tokens: Tokens, account: string): void;
  signOut(): void;
}

const AuthContext = createContext<Auth | null>(null);

function statusOf(session: SessionManager): AuthStatus {
  if (!session.active) return "signed-out";
  return session.mustChangePassword ? "must-change-password" : "signed-in";
}

export function AuthProvider({ session, children }: { session: SessionManager; children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>(() => (session.active ? "restoring" : "signed-out"));
  const [account, setAccount] = useState<string | null>(() => session.account);

  useEffect(
    () =>
      session.subscribe((event) => {
        setAccount(session.account);
        setStatus(event === "expired" ? "expired" : statusOf(session));
      }),
    [session],
  );

  useEffect(() => {
    if (status !== "restoring") return;
    // After a reload the access token is gone; the refresh token in sessionStorage brings a new one.
    session.refresh().then(
      (ok) => setStatus(ok ? statusOf(session) : "signed-out"),
      () => setStatus(statusOf(session)), // offline: stay signed in, the operations will say so and try again
    );
  }, [session, status]);

  const value = useMemo<Auth>(
    () => ({
      session,
      status,
      account,
      signIn: (tokens, identifier) => session.start(tokens, identifier),
      signOut: () => session.end(),
    }),
    [session, status, account],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (auth === null) throw new Error("useAuth outside AuthProvider");
  return auth;
}
