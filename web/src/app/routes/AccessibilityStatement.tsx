import { usePageTitle } from "@/components/usePageTitle";

/** RGAA 4.1's statement (model of the DINUM): partially compliant until an audit says otherwise. */
export function AccessibilityStatement() {
  usePageTitle("Déclaration d'accessibilité");
  return (
    <>
      <h1>Déclaration d'accessibilité</h1>
      <p>
        La Caisse nationale des allocations familiales (Cnaf) s'engage à rendre ses services numériques accessibles,
        conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.
      </p>
      <p>Cette déclaration d'accessibilité s'applique à l'espace professionnel « STRUCTURES » de monenfant.fr.</p>

      <h2>État de conformité</h2>
      <p>
        L'espace professionnel de monenfant.fr est <strong>partiellement conforme</strong> avec le référentiel général
        d'amélioration de l'accessibilité (RGAA), version 4.1, en raison des non-conformités et des dérogations
        énumérées ci-dessous.
      </p>

      <h2>Résultats des tests</h2>
      <p>
        Aucun audit de conformité n'a encore été réalisé. L'espace professionnel est conçu avec le système de design
        de l'État (DSFR) et vérifié à chaque modification par des tests automatiques (axe-core), qui ne couvrent
        qu'une partie des critères du RGAA. Le taux de conformité sera publié après l'audit.
      </p>

      <h2>Contenus non accessibles</h2>
      <h3>Non-conformités connues</h3>
      <ul>
        <li>
          La vérification par texte à recopier (mot de passe oublié) repose sur une image ; une version audio du même
          texte est proposée. Si aucune des deux ne vous convient, votre Caf peut vous envoyer un nouveau mot de passe.
        </li>
        <li>
          La grille des disponibilités compte de nombreux champs : chaque champ est nommé par son jour et son créneau,
          mais la navigation au clavier y demande de nombreuses tabulations.
        </li>
      </ul>
      <h3>Dérogations pour charge disproportionnée</h3>
      <p>Aucune.</p>
      <h3>Contenus non soumis à l'obligation d'accessibilité</h3>
      <p>Aucun.</p>

      <h2>Établissement de cette déclaration d'accessibilité</h2>
      <p>Cette déclaration a été établie le 3 décembre 2026.</p>
      <h3>Technologies utilisées pour la réalisation de l'espace professionnel</h3>
      <ul>
        <li>HTML5</li>
        <li>CSS</li>
        <li>JavaScript (React)</li>
        <li>WAI-ARIA</li>
      </ul>

      <h2>Retour d'information et contact</h2>
      <p>
        Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez votre Caf pour être orienté vers une
        alternative accessible ou obtenir le contenu sous une autre forme.
      </p>

      <h2>Voies de recours</h2>
      <p>
        Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu ou à une fonctionnalité du
        service, que vous nous le signalez et que vous ne parvenez pas à obtenir une réponse de notre part, vous êtes en
        droit de faire parvenir vos doléances ou une demande de saisine au Défenseur des droits :
      </p>
      <ul>
        <li>
          écrire un message au Défenseur des droits (
          <a href="https://formulaire.defenseurdesdroits.fr/" rel="noopener noreferrer" target="_blank" title="Formulaire du Défenseur des droits — nouvelle fenêtre">
            formulaire en ligne
          </a>
          ) ;
        </li>
        <li>contacter le délégué du Défenseur des droits dans votre région ;</li>
        <li>
          envoyer un courrier par la poste (gratuit, ne pas mettre de timbre) : Défenseur des droits, Libre réponse 71120,
          75342 Paris CEDEX 07.
        </li>
      </ul>
    </>
  );
}
