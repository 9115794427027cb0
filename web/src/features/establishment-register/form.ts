import type { Category, EajeType, EstablishmentRecordInput } from "@/gql/graphql";
import type { UserErrorLike } from "@/lib/forms/user-errors";

/** The register form as typed: every control holds text. */
export interface EstablishmentForm {
  id: string | null;
  providerId: string;
  name: string;
  category: Category | "";
  eajeType: EajeType | "";
  streetNumber: string;
  streetName: string;
  postalCode: string;
  communeInsee: string;
  latitude: string;
  longitude: string;
  capacity: string;
}

export const EMPTY_FORM: EstablishmentForm = {
  id: null,
  providerId: "",
  name: "",
  category: "",
  eajeType: "",
  streetNumber: "",
  streetName: "",
  postalCode: "",
  communeInsee: "",
  latitude: "",
  longitude: "",
  capacity: "",
};

/** The labels of the form's fields, for the error summary (the paths are the mutation input's). */
export const FIELD_LABELS: Record<string, string> = {
  id: "Établissement",
  providerId: "Gestionnaire",
  name: "Nom",
  category: "Type de structure",
  eajeType: "Type d'EAJE",
  streetNumber: "Numéro",
  streetName: "Voie",
  postalCode: "Code postal",
  communeInsee: "Code INSEE de la commune",
  latitude: "Latitude",
  longitude: "Longitude",
  capacity: "Nombre de places agréées",
};

interface Entry {
  id: string;
  provider: { id: string };
  name: string;
  category: Category;
  eajeType?: EajeType | null;
  streetNumber?: string | null;
  streetName?: string | null;
  postalCode: string;
  communeInsee: string;
  latitude: number;
  longitude: number;
  capacity?: number | null;
}

const decimal = (value: number) => String(value).replace(".", ",");

/** A register entry, ready to be edited. */
export function formOf(entry: Entry): EstablishmentForm {
  return {
    id: entry.id,
    providerId: entry.provider.id,
    name: entry.name,
    category: entry.category,
    eajeType: entry.eajeType ?? "",
    streetNumber: entry.streetNumber ?? "",
    streetName: entry.streetName ?? "",
    postalCode: entry.postalCode,
    communeInsee: entry.communeInsee,
    latitude: decimal(entry.latitude),
    longitude: decimal(entry.longitude),
    capacity: entry.capacity == null ? "" : String(entry.capacity),
  };
}

/** A number typed the French way (« 50,357 ») or not at all. */
function numberOf(text: string): number | null | undefined {
  const trimmed = text.trim().replace(",", ".");
  if (trimmed === "") return null;
  return /^[-+]?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : undefined;
}

const optional = (text: string) => text.trim() || null;

/**
 * The mutation's input, or the refusals the browser can make itself: the gateway judges the rest (territory,
 * provider, postal code…), but a number it cannot even read would be a request error, not a message on a field.
 */
export function recordInputOf(form: EstablishmentForm): { input: EstablishmentRecordInput } | { errors: UserErrorLike[] } {
  const latitude = numberOf(form.latitude);
  const longitude = numberOf(form.longitude);
  const capacity = numberOf(form.capacity);
  const errors: UserErrorLike[] = [];
  if (form.category === "") errors.push({ field: "category", message: "Choisissez le type de structure." });
  if (latitude == null) errors.push({ field: "latitude", message: "Latitude en degrés décimaux, par exemple 50,357." });
  if (longitude == null) errors.push({ field: "longitude", message: "Longitude en degrés décimaux, par exemple 3,523." });
  if (capacity === undefined || (capacity != null && !Number.isInteger(capacity)))
    errors.push({ field: "capacity", message: "Un nombre entier de places, ou rien." });
  if (errors.length > 0 || form.category === "" || latitude == null || longitude == null) return { errors };
  return {
    input: {
      id: form.id,
      providerId: form.providerId || null,
      name: form.name,
      category: form.category,
      eajeType: form.category === "EAJE" ? form.eajeType || null : null,
      streetNumber: optional(form.streetNumber),
      streetName: optional(form.streetName),
      postalCode: form.postalCode.trim(),
      communeInsee: form.communeInsee.trim(),
      latitude,
      longitude,
      capacity: capacity ?? null,
    },
  };
}

/** What closing on `closedOn` means for families, said before the agent confirms. */
export function closingNotice(closedOn: string, today: string, formatDay: (day: string) => string): string {
  const when = closedOn <= today ? "dès aujourd'hui" : `à partir du ${formatDay(closedOn)}`;
  return `L'établissement quittera le catalogue public ${when} : les familles ne le trouveront plus sur monenfant.fr. La fermeture est publiée aussitôt aux intégrateurs et ne peut pas être annulée ici.`;
}
