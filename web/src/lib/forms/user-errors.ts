/** A refusal of a mutation: `field` is the GraphQL path of the input as sent (docs/api.md § Errors). */
export interface UserErrorLike {
  field?: string | null;
  code?: string;
  message: string;
}

/** The id of the control that edits `path` (« operatingInfo.openingHours[0].opens » → « f-operatingInfo-openingHours-0-opens »). */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9]+/g, "-").replace(/-$/, "")}`;
}

/** The userErrors placed by field path, and those about no field. */
export class PlacedErrors {
  private readonly byField = new Map<string, string[]>();
  readonly general: string[] = [];

  constructor(
    readonly all: readonly UserErrorLike[] = [],
    /** Prefix to strip, when the form's paths start below the mutation's input (e.g. « input. »). */
    prefix = "",
  ) {
    for (const error of all) {
      // A refusal outside the form's part of the input (basedOnVersion…) belongs to the form as a whole.
      const field = error.field?.startsWith(prefix) ? error.field.slice(prefix.length) : null;
      if (!field) {
        this.general.push(error.message);
        continue;
      }
      this.byField.set(field, [...(this.byField.get(field) ?? []), error.message]);
    }
  }

  get empty(): boolean {
    return this.all.length === 0;
  }

  /** The messages about exactly this path. */
  at(path: string): string[] {
    return this.byField.get(path) ?? [];
  }

  /** The message to show at a control: its own, and those about its parts (« ageMin » also shows « ageMin.value »). */
  under(path: string): string | undefined {
    const messages = [...this.byField].filter(([field]) => field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`));
    const joined = messages.flatMap(([, list]) => list);
    return joined.length ? joined.join(" ") : undefined;
  }

  /** Every placed error, for the summary at the top of the form (each links to its control). */
  entries(): { path: string; message: string }[] {
    return [...this.byField].flatMap(([path, list]) => list.map((message) => ({ path, message })));
  }
}
