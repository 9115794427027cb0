import type { PasswordInputProps } from "@codegouvfr/react-dsfr/blocks/PasswordInput";

/** The gateway's default minimum (GATEWAY_PASSWORD_MIN_LENGTH); the API's answer is what decides. */
export const MIN_LENGTH = 12;

/**
 * What can be said while the person types. The API has no query that judges a password without changing it, so
 * the rest of the policy (common passwords, the person's names, zxcvbn's guessability) comes back as the
 * submission's userErrors, shown at the field.
 */
export function passwordHints(password: string): NonNullable<PasswordInputProps["messages"]> {
  const length = [...password].length;
  const long = length >= MIN_LENGTH;
  return [
    {
      severity: password === "" ? "info" : long ? "valid" : "error",
      message: long
        ? `compter au moins ${MIN_LENGTH} caractères (${length} saisis)`
        : `compter au moins ${MIN_LENGTH} caractères (${length} saisi${length > 1 ? "s" : ""})`,
    },
    { severity: "info", message: "ne pas être un mot de passe courant ni contenir votre identifiant ou votre nom" },
  ];
}
