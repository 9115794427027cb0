// F1's peer: the least a React 18 sign-in page built by Vite can be (no router, no GraphQL client, no DSFR).
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";

function SignIn() {
  const [identifier, setIdentifier] = useState("");
  const [password, setPassword] = useState("");
  return (
    <main>
      <h1>Connexion à l'espace professionnel</h1>
      <form onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="f-identifier">Identifiant</label>
        <input id="f-identifier" autoComplete="username" value={identifier} onChange={(e) => setIdentifier(e.target.value)} />
        <label htmlFor="f-password">Mot de passe</label>
        <input id="f-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit">Se connecter</button>
      </form>
    </main>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <SignIn />
  </StrictMode>,
);
