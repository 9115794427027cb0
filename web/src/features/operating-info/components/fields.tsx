import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import { createContext, useContext } from "react";
import { fieldId, PlacedErrors } from "@/lib/forms/user-errors";

/** The refusals of the last submission, read by each control at its own path. */
export const ErrorsContext = createContext(new PlacedErrors());

function useFieldError(path: string): { state: "error" | "default"; stateRelatedMessage?: string } {
  const message = useContext(ErrorsContext).under(path);
  return message ? { state: "error", stateRelatedMessage: message } : { state: "default" };
}

export function TextField({
  path,
  label,
  hint,
  value,
  onChange,
  multiline = false,
  type = "text",
  maxLength,
  inputMode,
}: {
  path: string;
  label: string;
  hint?: string;
  value: string;
  onChange(value: string): void;
  multiline?: boolean;
  type?: string;
  maxLength?: number;
  inputMode?: "numeric" | "text" | "url";
}) {
  const error = useFieldError(path);
  return multiline ? (
    <Input
      label={label}
      hintText={hint}
      textArea
      {...error}
      nativeTextAreaProps={{ id: fieldId(path), value, maxLength, rows: 4, onChange: (e) => onChange(e.target.value) }}
    />
  ) : (
    <Input
      label={label}
      hintText={hint}
      {...error}
      nativeInputProps={{ id: fieldId(path), value, type, inputMode, maxLength, onChange: (e) => onChange(e.target.value) }}
    />
  );
}

export function CheckboxField({ path, label, checked, onChange }: { path: string; label: string; checked: boolean; onChange(checked: boolean): void }) {
  const error = useFieldError(path);
  return (
    // The id goes on the fieldset: react-dsfr names each input after it, and its label's `for` points there.
    <Checkbox
      id={fieldId(path)}
      {...error}
      options={[{ label, nativeInputProps: { checked, onChange: (e) => onChange(e.target.checked) } }]}
    />
  );
}

export function ChoicesField({
  path,
  legend,
  choices,
  values,
  onChange,
  hint,
}: {
  path: string;
  legend: string;
  hint?: string;
  choices: readonly { value: string; label: string }[];
  values: readonly string[];
  onChange(values: string[]): void;
}) {
  const error = useFieldError(path);
  return (
    <Checkbox
      id={fieldId(path)}
      legend={legend}
      hintText={hint}
      orientation="horizontal"
      {...error}
      options={choices.map((choice) => ({
        label: choice.label,
        nativeInputProps: {
          value: choice.value,
          checked: values.includes(choice.value),
          onChange: (e) => onChange(e.target.checked ? [...values, choice.value] : values.filter((v) => v !== choice.value)),
        },
      }))}
    />
  );
}

export function YesNoField({ path, legend, value, onChange }: { path: string; legend: string; value: "" | "oui" | "non"; onChange(value: "" | "oui" | "non"): void }) {
  const error = useFieldError(path);
  const option = (label: string, own: "" | "oui" | "non") => ({
    label,
    nativeInputProps: { checked: value === own, onChange: () => onChange(own) },
  });
  return (
    <RadioButtons
      id={fieldId(path)}
      legend={legend}
      name={fieldId(path)}
      orientation="horizontal"
      {...error}
      options={[option("Oui", "oui"), option("Non", "non"), option("Non précisé", "")]}
    />
  );
}
