import { Link } from "react-router-dom";
import { usePageTitle } from "@/components/usePageTitle";

export function NotFound() {
  usePageTitle("Page introuvable");
  return (
    <>
      <h1>Page introuvable</h1>
      <p>L'adresse demandée ne correspond à aucune page de l'espace professionnel.</p>
      <p>
        <Link to="/">Retour à l'accueil</Link>
      </p>
    </>
  );
}
