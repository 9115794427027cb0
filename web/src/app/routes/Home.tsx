import { Loading } from "@/components/Failure";
import { CafHomePage } from "@/features/caf-home";
import { HomePage } from "@/features/home";
import { useAgentKind } from "@/lib/auth/agent-kind";

/** One sign-in: a Caf agent lands on the Caf's console, a provider's agent on their establishments. */
export function Home() {
  const kind = useAgentKind();
  if (kind === null) return <Loading what="de votre espace" />;
  return kind === "CAF_AGENT" ? <CafHomePage /> : <HomePage />;
}
