import { useEffect, useMemo, type ReactNode } from "react";
import { Provider as UrqlProvider } from "urql";
import { apiRefresher } from "@/lib/auth/refresher";
import { AuthProvider } from "@/lib/auth/context";
import { SessionManager } from "@/lib/auth/session";
import { createGraphQLClient } from "@/lib/graphql/client";

export function AppProviders({ children }: { children: ReactNode }) {
  const session = useMemo(() => new SessionManager(apiRefresher(), window.sessionStorage), []);
  useEffect(() => {
    const park = () => session.park();
    const unpark = (event: PageTransitionEvent) => event.persisted && session.unpark();
    window.addEventListener("pagehide", park);
    window.addEventListener("pageshow", unpark);
    return () => {
      window.removeEventListener("pagehide", park);
      window.removeEventListener("pageshow", unpark);
    };
  }, [session]);
  const client = useMemo(() => createGraphQLClient(session), [session]);
  return (
    <AuthProvider session={session}>
      <UrqlProvider value={client}>{children}</UrqlProvider>
    </AuthProvider>
  );
}
