import type { PasswordInputProps } from "@codegouvfr/react-dsfr/blocks/PasswordInput";

/** The gateway's default minimum (GATEWAY_PASSWORD_MIN_LENGTH); the API's answer is what decides. */
export const MIN_LENGTH = 12;

/** The policy's verdict on a candidate, as the API's passwordCheck gives it (null while none has come back). */
export type PasswordVerdict = { acceptable: boolean; problems: ReadonlyArray<{ message: string }> } | null;

/**
 * What can be said while the person types: the length at once, then — once the candidate is long enough and the
 * person pauses — the whole policy as the API judges it (common passwords, the person's names, guessability),
 * with the same messages the change would return.
 */
export function passwordHints(
  password: string,
  verdict: PasswordVerdict = null,
): NonNullable<PasswordInputProps["messages"]> {
  const length = [...password].length;
  const long = length >= MIN_LENGTH;
  return [
    {
      severity: password === "" ? "info" : long ? "valid" : "error",
      message: long
        ? `compter au moins ${MIN_LENGTH} caractères (${length} saisis)`
        : `compter au moins ${MIN_LENGTH} caractères (${length} saisi${length > 1 ? "s" : ""})`,
    },
    ...(long && verdict !== null
      ? verdict.problems.length > 0
        ? verdict.problems
            .filter((problem) => !problem.message.includes(`${MIN_LENGTH} caractères`))
            .map((problem) => ({ severity: "error" as const, message: problem.message }))
        : [{ severity: "valid" as const, message: "être difficile à deviner : c'est le cas" }]
      : [{ severity: "info" as const, message: "ne pas être un mot de passe courant ni contenir votre identifiant ou votre nom" }]),
  ];
}
