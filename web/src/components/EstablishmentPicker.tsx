import { Select } from "@codegouvfr/react-dsfr/Select";

/** The establishment a screen works on, among those the agent holds the needed right on. */
export function EstablishmentPicker({
  establishments,
  value,
  onChange,
}: {
  establishments: readonly { id: string; name: string }[];
  value: string | null;
  onChange(id: string): void;
}) {
  return (
    <Select
      label="Établissement"
      nativeSelectProps={{ id: "f-establishment", value: value ?? "", onChange: (e) => onChange(e.target.value) }}
    >
      <option value="" disabled>
        Choisissez un établissement
      </option>
      {establishments.map((establishment) => (
        <option key={establishment.id} value={establishment.id}>
          {establishment.name}
        </option>
      ))}
    </Select>
  );
}
