import { act, cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { CombinedError, type Client, type OperationResult } from "@urql/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { delay, fromValue, pipe } from "wonka";
import { Provider } from "urql";
import { AuthProvider } from "@/lib/auth/context";
import { SessionManager } from "@/lib/auth/session";
import { MemoryStore } from "@/lib/testing";
import { formFromPublished } from "../form";
import { OperatingInfoEditor, type EditedEstablishment } from "./OperatingInfoEditor";

const ESTABLISHMENT = {
  __typename: "Establishment",
  id: "RXN0YWJsaXNobWVudDox",
  name: "Multi-accueil Les P'tits Mineurs",
  categoryLabel: "Crèche",
  eajeTypeLabel: "Multi-accueil",
  address: { oneLine: "rue Henri Durre, 59278 Escautpont" },
  operatingInfo: null,
} as unknown as EditedEstablishment;

const REFUSAL = {
  submission: null,
  userErrors: [
    { field: "operatingInfo.openingHours[0].closes", code: "VALUE_ERROR", message: "lundi : la fermeture (06:00) doit suivre l'ouverture (07:30)" },
    { field: "basedOnVersion", code: "STALE", message: "Une version plus récente a été publiée entre-temps." },
  ],
};

type Submissions = Parameters<typeof OperatingInfoEditor>[0]["submissions"];

function setUp(payload: unknown, error?: CombinedError, answerAfterMs = 30, submissions: Submissions = []) {
  const sent: Record<string, unknown>[] = [];
  const client = {
    executeMutation: vi.fn((operation: { variables: Record<string, unknown> }) => {
      sent.push(operation.variables);
      const data = error ? undefined : { submitOperatingInfo: payload };
      const result = { operation, data, error, stale: false, hasNext: false } as unknown as OperationResult;
      return pipe(fromValue(result), delay(answerAfterMs));
    }),
    executeQuery: vi.fn(),
    executeSubscription: vi.fn(),
  } as unknown as Client;
  const session = new SessionManager(async () => "refused", new MemoryStore());
  session.start({ accessToken: "a", refreshToken: "r", expiresIn: 600, mustChangePassword: false }, "m.dupont.escautpont");
  render(
    <AuthProvider session={session}>
      <Provider value={client}>
        <OperatingInfoEditor establishment={ESTABLISHMENT} submissions={submissions} onSubmitted={() => undefined} />
      </Provider>
    </AuthProvider>,
  );
  return sent;
}

async function fillMondayBackwards() {
  const user = userEvent.setup();
  await user.click(screen.getByRole("button", { name: "Ajouter un créneau le lundi" }));
  await user.type(document.getElementById("f-openingHours-0-opens")!, "07:30");
  await user.type(document.getElementById("f-openingHours-0-closes")!, "06:00");
  return user;
}

describe("OperatingInfoEditor", () => {
  beforeEach(() => window.localStorage.clear());
  afterEach(cleanup);

  it("sends a double click once, with an idempotency key", async () => {
    const sent = setUp(REFUSAL, undefined, 2_000);
    const user = await fillMondayBackwards();

    await user.dblClick(screen.getByRole("button", { name: "Soumettre à la validation de la Caf" }));

    expect(sent).toHaveLength(1);
    const input = sent[0]!.input as { idempotencyKey: string; operatingInfo: { openingHours: unknown[] } };
    expect(input.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(input.operatingInfo.openingHours).toEqual([{ day: "LUNDI", opens: "07:30", closes: "06:00" }]);
  });

  it("sends the same key again for the same content, a new one after an edit", async () => {
    const sent = setUp(REFUSAL);
    const user = await fillMondayBackwards();
    const submit = () => user.click(screen.getByRole("button", { name: "Soumettre à la validation de la Caf" }));

    await submit();
    await screen.findByRole("alert");
    await submit();
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
    await user.type(document.getElementById("f-capacity")!, "20");
    await submit();
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)));

    const keys = sent.map((variables) => (variables.input as { idempotencyKey: string }).idempotencyKey);
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it("puts each refusal at its field and the rest at the top, and keeps the form", async () => {
    setUp(REFUSAL);
    const user = await fillMondayBackwards();

    await user.click(screen.getByRole("button", { name: "Soumettre à la validation de la Caf" }));

    const message = "lundi : la fermeture (06:00) doit suivre l'ouverture (07:30)";
    expect(await screen.findByRole("alert")).toHaveProperty("textContent", expect.stringContaining("Une version plus récente a été publiée entre-temps."));
    const closes = document.getElementById("f-openingHours-0-closes")!;
    const description = (closes.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "");
    expect(description.join(" ")).toContain(message);
    expect(screen.getByRole("link", { name: `Horaires d'ouverture : ${message}` }).getAttribute("href")).toBe("#f-openingHours-0-closes");
    expect((closes as HTMLInputElement).value).toBe("06:00");
  });

  it("keeps what was typed on the device until it is accepted", async () => {
    setUp(REFUSAL);
    await fillMondayBackwards();

    const kept = window.localStorage.getItem(`structures.draft:m.dupont.escautpont:modalites:${ESTABLISHMENT.id}`);
    expect(JSON.parse(kept!).value.form.openingHours).toEqual([{ day: "LUNDI", opens: "07:30", closes: "06:00" }]);
  });

  it("on a network failure says so in French and keeps the form and its draft", async () => {
    setUp(null, new CombinedError({ networkError: new TypeError("Failed to fetch") }));
    const user = await fillMondayBackwards();

    await user.click(screen.getByRole("button", { name: "Soumettre à la validation de la Caf" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Votre saisie n'a pas été transmise");
    expect(alert.textContent).toContain("Connexion au service impossible. Vos saisies sont conservées sur cet appareil");
    expect((document.getElementById("f-openingHours-0-closes") as HTMLInputElement).value).toBe("06:00");
    expect(window.localStorage.getItem(`structures.draft:m.dupont.escautpont:modalites:${ESTABLISHMENT.id}`)).toContain("06:00");
  });

  it("shows a refusal's reasons and comment, and « corriger et soumettre à nouveau » loads what was sent", async () => {
    const sentBefore = { ...formFromPublished(null), fees: "Promotion : -50 % sur les couches !" };
    window.localStorage.setItem("structures.draft:m.dupont.escautpont:soumission:U3VibWlzc2lvbjox", JSON.stringify({ value: sentBefore }));
    setUp(REFUSAL, undefined, 30, [
      {
        __typename: "Submission",
        id: "U3VibWlzc2lvbjox",
        status: "REJECTED",
        statusLabel: "Refusée par la Caf",
        version: 2,
        submittedAt: "2026-12-01T09:00:00+00:00",
        establishment: { __typename: "NamedEstablishment", id: ESTABLISHMENT.id },
        reasons: [{ __typename: "RefusalReason", code: "PUBLICITE_DEGUISEE", label: "Caractère publicitaire déguisé" }],
        comment: "Retirez la promotion.",
      },
    ]);

    expect(screen.getByText("Caractère publicitaire déguisé")).toBeTruthy();
    expect(screen.getByText("Commentaire de la Caf : « Retirez la promotion. »")).toBeTruthy();
    await userEvent.setup().click(screen.getByRole("button", { name: "Corriger et soumettre à nouveau" }));

    expect((document.getElementById("f-fees") as HTMLTextAreaElement).value).toBe("Promotion : -50 % sur les couches !");
  });
});
