import { describe, expect, it } from "vitest";
import { gql } from "@urql/core";
import { MemoryStore } from "@/lib/testing";
import { SessionManager, type Tokens } from "@/lib/auth/session";
import { createGraphQLClient } from "./client";
import { isUnauthenticated } from "./errors";

// Untyped on purpose: test documents stay out of the operations manifest.
const MeProbe = gql<{ me: { identifier: string } }>`
  query MeProbe {
    me {
      identifier
    }
  }
`;

const tokens = (n: number, expiresIn = 600): Tokens => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresIn,
  mustChangePassword: false,
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const unauthenticated = () => json({ data: null, errors: [{ message: "Connectez-vous.", extensions: { code: "UNAUTHENTICATED" } }] });
const me = () => json({ data: { me: { __typename: "Me", identifier: "m.dupont.escautpont" } } });

function setUp(answers: (() => Response)[], refreshes: (Tokens | "refused")[], expiresIn = 600) {
  let clock = 0;
  const sent: (string | null)[] = [];
  const session = new SessionManager(
    async () => {
      const answer = refreshes.shift();
      if (answer === undefined) throw new Error("unexpected refresh");
      return answer;
    },
    new MemoryStore(),
    () => clock,
  );
  session.start(tokens(1, expiresIn), "a");
  const fetchFn = (async (_url: RequestInfo | URL, init?: RequestInit) => {
    sent.push(new Headers(init?.headers).get("authorization"));
    const answer = answers.shift();
    if (answer === undefined) throw new Error("unexpected request");
    return answer();
  }) as typeof fetch;
  const client = createGraphQLClient(session, fetchFn);
  return { client, session, sent, advance: (ms: number) => (clock += ms) };
}

describe("the GraphQL client's session handling", () => {
  it("sends the access token", async () => {
    const { client, sent } = setUp([me], []);

    const result = await client.query(MeProbe, {}).toPromise();

    expect(result.data?.me.identifier).toBe("m.dupont.escautpont");
    expect(sent).toEqual(["Bearer access-1"]);
  });

  it("renews the token before it expires, then sends the operation with the new one", async () => {
    const { client, sent, advance } = setUp([me], [tokens(2)]);
    advance(590_000);

    await client.query(MeProbe, {}).toPromise();

    expect(sent).toEqual(["Bearer access-2"]);
  });

  it("on UNAUTHENTICATED renews once and sends the operation again", async () => {
    const { client, sent } = setUp([unauthenticated, me], [tokens(2)]);

    const result = await client.query(MeProbe, {}).toPromise();

    expect(result.error).toBeUndefined();
    expect(result.data?.me.identifier).toBe("m.dupont.escautpont");
    expect(sent).toEqual(["Bearer access-1", "Bearer access-2"]);
  });

  it("retries only once: a second UNAUTHENTICATED reaches the screen", async () => {
    const { client, sent } = setUp([unauthenticated, unauthenticated], [tokens(2)]);

    const result = await client.query(MeProbe, {}).toPromise();

    expect(isUnauthenticated(result.error)).toBe(true);
    expect(sent).toHaveLength(2);
  });

  it("a refused renewal ends the session as expired", async () => {
    const { client, session } = setUp([unauthenticated, unauthenticated], ["refused"]);
    const events: string[] = [];
    session.subscribe((event) => events.push(event));

    const result = await client.query(MeProbe, {}).toPromise();

    expect(isUnauthenticated(result.error)).toBe(true);
    expect(events).toEqual(["expired"]);
    expect(session.account).toBe("a");
  });
});
