import { Footer } from "@codegouvfr/react-dsfr/Footer";
import { Header } from "@codegouvfr/react-dsfr/Header";
import { SkipLinks } from "@codegouvfr/react-dsfr/SkipLinks";
import { useEffect, useRef } from "react";
import { Outlet, useLocation, useNavigate } from "react-router-dom";
import { useClient } from "urql";
import { LogoutMutation } from "@/features/auth";
import { type AgentKind, useAgentKind } from "@/lib/auth/agent-kind";
import { useAuth } from "@/lib/auth/context";

const NAVIGATION: Record<AgentKind, { path: string; text: string }[]> = {
  PROVIDER_AGENT: [
    { path: "/", text: "Accueil" },
    { path: "/disponibilites", text: "Disponibilités" },
    { path: "/modalites", text: "Modalités de fonctionnement" },
    { path: "/historique", text: "Historique" },
    { path: "/logiciels", text: "Logiciels de transmission" },
  ],
  CAF_AGENT: [
    { path: "/", text: "Accueil" },
    { path: "/file", text: "File de modération" },
    { path: "/habilitations", text: "Demandes d'habilitation" },
    { path: "/conventions", text: "Conventions" },
    { path: "/journal", text: "Journal des connexions" },
    { path: "/registre", text: "Registre des établissements" },
    { path: "/integrateurs", text: "Intégrateurs" },
  ],
};

export function Layout() {
  const auth = useAuth();
  const client = useClient();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const signedIn = auth.status === "signed-in";
  const kind = useAgentKind();
  const navigation = kind ? NAVIGATION[kind] : [{ path: "/", text: "Accueil" }];

  useEffect(() => {
    // A new screen: focus goes to its content, so a screen reader starts there (the title changes too).
    if (firstRender.current) firstRender.current = false;
    else main.current?.focus();
  }, [pathname]);

  async function signOut() {
    await client.mutation(LogoutMutation, {}).toPromise(); // the session ends here whatever the answer
    auth.signOut();
    navigate("/connexion", { replace: true });
  }

  return (
    <>
      <SkipLinks
        links={[
          { label: "Contenu", anchor: "#contenu" },
          ...(signedIn ? [{ label: "Menu", anchor: "#fr-header-main-navigation" }] : []),
          { label: "Pied de page", anchor: "#pied-de-page" },
        ]}
      />
      <Header
        brandTop={
          <>
            République
            <br />
            Française
          </>
        }
        homeLinkProps={{ to: "/", title: "Accueil — Espace professionnel monenfant.fr" }}
        serviceTitle="monenfant.fr — Espace professionnel"
        serviceTagline="Les établissements d'accueil du jeune enfant et leurs gestionnaires"
        quickAccessItems={
          signedIn
            ? [
                { iconId: "fr-icon-account-circle-line", text: "Mon compte", linkProps: { to: "/compte" } },
                { iconId: "fr-icon-logout-box-r-line", text: "Se déconnecter", buttonProps: { onClick: () => void signOut() } },
              ]
            : []
        }
        navigation={
          signedIn
            ? navigation.map(({ path, text }) => ({
                text,
                linkProps: { to: path },
                isActive: path === "/" ? pathname === "/" : pathname.startsWith(path),
              }))
            : undefined
        }
      />
      <main id="contenu" ref={main} tabIndex={-1} className="fr-container fr-py-5w">
        <Outlet />
      </main>
      <Footer
        id="pied-de-page"
        accessibility="partially compliant"
        accessibilityLinkProps={{ to: "/accessibilite" }}
        contentDescription="L'espace professionnel de monenfant.fr permet aux gestionnaires habilités par leur Caf de publier les disponibilités et les modalités de fonctionnement de leurs établissements."
        domains={["monenfant.fr", "caf.fr"]}
        bottomItems={[]}
      />
    </>
  );
}
