/**
 * The operating-information document as a form: strings as typed, turned into the API's OperatingInfoInput with
 * every list kept in order, so that a refusal at `operatingInfo.openingHours[2].closes` names the row shown.
 */
import type { AgeUnit, OperatingInfoEditorQuery, OperatingInfoInput, Weekday } from "@/gql/graphql";

export { WEEKDAYS } from "@/lib/operating-info-vocabulary";

type Published = NonNullable<Extract<NonNullable<OperatingInfoEditorQuery["node"]>, { operatingInfo?: unknown }>["operatingInfo"]>;

export type YesNo = "" | "oui" | "non";

export interface OperatingInfoForm {
  openingHours: { day: Weekday; opens: string; closes: string }[];
  hoursNote: string;
  byAppointment: boolean;
  closurePeriods: string[];
  datedClosures: { start: string; end: string; label: string }[];
  closedOnPublicHolidays: boolean;
  ageMin: { value: string; unit: AgeUnit };
  ageMax: { value: string; unit: AgeUnit };
  capacity: string;
  mealsProvided: YesNo;
  nappiesProvided: YesNo;
  disabilityWelcome: string;
  project: string;
  providerPresentation: string;
  team: string;
  nationalFeeScale: boolean;
  fees: string;
  funding: string[];
  admissionConditions: string;
  registration: string;
  /** INSEE codes, separated by commas, spaces or lines. */
  eligibleWorkCommunes: string;
  eligibleHomeCommunes: string;
  servedCommunes: { name: string; postalCode: string }[];
  careKinds: string[];
  /** Separated by commas. */
  languages: string;
  accessibilityUrl: string;
}

export function emptyForm(): OperatingInfoForm {
  return {
    openingHours: [],
    hoursNote: "",
    byAppointment: false,
    closurePeriods: [],
    datedClosures: [],
    closedOnPublicHolidays: true,
    ageMin: { value: "", unit: "MOIS" },
    ageMax: { value: "", unit: "AN" },
    capacity: "",
    mealsProvided: "",
    nappiesProvided: "",
    disabilityWelcome: "",
    project: "",
    providerPresentation: "",
    team: "",
    nationalFeeScale: false,
    fees: "",
    funding: [],
    admissionConditions: "",
    registration: "",
    eligibleWorkCommunes: "",
    eligibleHomeCommunes: "",
    servedCommunes: [],
    careKinds: [],
    languages: "",
    accessibilityUrl: "",
  };
}

const yesNo = (value: boolean | null | undefined): YesNo => (value == null ? "" : value ? "oui" : "non");
const hhmm = (time: string) => time.slice(0, 5);

/** The published version, as the form starts from it. */
export function formFromPublished(info: Published | null | undefined): OperatingInfoForm {
  if (!info) return emptyForm();
  return {
    openingHours: info.weeklyHours.map(({ day, opens, closes }) => ({ day, opens: hhmm(opens), closes: hhmm(closes) })),
    hoursNote: info.hoursNote ?? "",
    byAppointment: info.byAppointment,
    closurePeriods: [...info.closurePeriods],
    datedClosures: info.datedClosures.map(({ start, end, label }) => ({ start, end, label })),
    closedOnPublicHolidays: info.closedOnPublicHolidays,
    ageMin: info.ageMin ? { value: String(info.ageMin.value), unit: info.ageMin.unit } : { value: "", unit: "MOIS" },
    ageMax: info.ageMax ? { value: String(info.ageMax.value), unit: info.ageMax.unit } : { value: "", unit: "AN" },
    capacity: info.capacity == null ? "" : String(info.capacity),
    mealsProvided: yesNo(info.mealsProvided),
    nappiesProvided: yesNo(info.nappiesProvided),
    disabilityWelcome: info.disabilityWelcome ?? "",
    project: info.project ?? "",
    providerPresentation: info.providerPresentation ?? "",
    team: info.team ?? "",
    nationalFeeScale: info.nationalFeeScale,
    fees: info.fees ?? "",
    funding: [...info.funding],
    admissionConditions: info.admissionConditions ?? "",
    registration: info.registration ?? "",
    eligibleWorkCommunes: info.eligibleWorkCommunes.join(", "),
    eligibleHomeCommunes: info.eligibleHomeCommunes.join(", "),
    servedCommunes: info.servedCommunes.map(({ name, postalCode }) => ({ name, postalCode })),
    careKinds: [...info.careKinds],
    languages: info.languages.join(", "),
    accessibilityUrl: info.accessibilityUrl ?? "",
  };
}

const text = (value: string) => (value.trim() === "" ? null : value.trim());
const bool = (value: YesNo) => (value === "" ? null : value === "oui");
const list = (value: string) => value.split(/[\s,;]+/).filter(Boolean);
/** A number as typed; a non-number is sent as typed so that the API names the field (its French message). */
const integer = (value: string): number | null => (value.trim() === "" ? null : Number(value.trim()));

export interface Conversion {
  input: OperatingInfoInput;
  /** What cannot even be sent (a number that is not one), by input path. */
  problems: { field: string; message: string }[];
}

/** The form as the API's input. */
export function toInput(form: OperatingInfoForm): Conversion {
  const problems: Conversion["problems"] = [];
  const number = (value: string, field: string) => {
    const parsed = integer(value);
    if (parsed !== null && !Number.isInteger(parsed)) {
      problems.push({ field, message: "Indiquez un nombre entier." });
      return null;
    }
    return parsed;
  };
  const age = (age: OperatingInfoForm["ageMin"], field: string) => {
    const value = number(age.value, `${field}.value`);
    return value === null ? null : { value, unit: age.unit };
  };
  return {
    problems,
    input: {
      openingHours: form.openingHours.map(({ day, opens, closes }) => ({ day, opens, closes })),
      hoursNote: text(form.hoursNote),
      byAppointment: form.byAppointment,
      closurePeriods: form.closurePeriods as OperatingInfoInput["closurePeriods"],
      datedClosures: form.datedClosures.map(({ start, end, label }) => ({ start, end, label: label.trim() })),
      closedOnPublicHolidays: form.closedOnPublicHolidays,
      ageMin: age(form.ageMin, "operatingInfo.ageMin"),
      ageMax: age(form.ageMax, "operatingInfo.ageMax"),
      capacity: number(form.capacity, "operatingInfo.capacity"),
      mealsProvided: bool(form.mealsProvided),
      nappiesProvided: bool(form.nappiesProvided),
      disabilityWelcome: text(form.disabilityWelcome),
      project: text(form.project),
      providerPresentation: text(form.providerPresentation),
      team: text(form.team),
      nationalFeeScale: form.nationalFeeScale,
      fees: text(form.fees),
      funding: form.funding as OperatingInfoInput["funding"],
      admissionConditions: text(form.admissionConditions),
      registration: text(form.registration),
      eligibleWorkCommunes: list(form.eligibleWorkCommunes),
      eligibleHomeCommunes: list(form.eligibleHomeCommunes),
      servedCommunes: form.servedCommunes.map(({ name, postalCode }) => ({ name: name.trim(), postalCode: postalCode.trim() })),
      careKinds: form.careKinds as OperatingInfoInput["careKinds"],
      languages: form.languages.split(/[,;\n]+/).map((l) => l.trim()).filter(Boolean),
      accessibilityUrl: text(form.accessibilityUrl),
    },
  };
}

/** A fresh key per content: a double click or a retry after a lost answer sends the same key, an edit a new one. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
