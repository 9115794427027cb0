import { WEEKDAYS } from "@/lib/operating-info-vocabulary";

export interface Slot {
  day: string;
  /** « 07:30 » or « 07:30:00 » (the API's Time). */
  opens: string;
  closes: string;
}

const hour = (time: string) => time.slice(0, 5);

/** Opening hours one day a line, in French (« Lundi : 07:30–12:00, 13:30–18:30 », « Samedi : fermé »), slots in order, as families read them. */
export function WeeklyHours({ slots }: { slots: readonly Slot[] }) {
  if (slots.length === 0) return <p>Non renseignés</p>;
  return (
    <ul>
      {WEEKDAYS.map(({ day, label }) => {
        const open = slots.filter((slot) => slot.day === day).sort((a, b) => hour(a.opens).localeCompare(hour(b.opens)));
        return (
          <li key={day}>
            {label} : {open.length ? open.map((s) => `${hour(s.opens)}–${hour(s.closes)}`).join(", ") : "fermé"}
          </li>
        );
      })}
    </ul>
  );
}
