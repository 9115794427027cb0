import { startReactDsfr } from "@codegouvfr/react-dsfr/spa";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Link } from "react-router-dom";
import { App } from "@/app/App";

declare module "@codegouvfr/react-dsfr/spa" {
  interface RegisterLink {
    Link: typeof Link;
  }
}

// No inline script: react-dsfr's SPA start sets the colour scheme from here (the gateway's CSP allows its two
// <style> bodies by hash, see gateway/web.py).
startReactDsfr({ defaultColorScheme: "system", Link });

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
