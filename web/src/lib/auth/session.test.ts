import { describe, expect, it } from "vitest";
import { MemoryStore } from "@/lib/testing";
import { SessionManager, type SessionEvent, type Tokens } from "./session";

const tokens = (n: number, expiresIn = 600): Tokens => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresIn,
  mustChangePassword: false,
});

function makeSession(answers: (Tokens | "refused" | Error)[], storage = new MemoryStore()) {
  let clock = 1_000_000;
  const presented: string[] = [];
  const session = new SessionManager(
    async (refreshToken) => {
      presented.push(refreshToken);
      const answer = answers.shift();
      if (answer === undefined) throw new Error("no more answers");
      if (answer instanceof Error) throw answer;
      return answer;
    },
    storage,
    () => clock,
  );
  const events: SessionEvent[] = [];
  session.subscribe((event) => events.push(event));
  return { session, presented, events, storage, advance: (ms: number) => (clock += ms) };
}

describe("SessionManager", () => {
  it("keeps both tokens in memory while the page lives", () => {
    const { session, storage } = makeSession([]);
    session.start(tokens(1), "m.dupont.escautpont");

    expect(session.accessToken).toBe("access-1");
    expect([...storage.items.values()]).not.toContain("access-1");
    expect([...storage.items.values()]).not.toContain("refresh-1");
    expect(session.account).toBe("m.dupont.escautpont");
  });

  it("parks the refresh token for a reload only, so a tab copied from this one gets none", () => {
    const storage = new MemoryStore();
    const { session } = makeSession([], storage);
    session.start(tokens(1), "a");

    const copiedWhileLive = new MemoryStore();
    storage.items.forEach((value, key) => copiedWhileLive.setItem(key, value));
    expect(makeSession([], copiedWhileLive).session.active).toBe(false);

    session.park();
    const reloaded = makeSession([], storage).session;
    expect(reloaded.active).toBe(true);
    expect(storage.getItem("structures.refreshToken")).toBeNull();
  });

  it("asks for a refresh a minute before the access token expires, not before", () => {
    const { session, advance } = makeSession([]);
    session.start(tokens(1, 600), "a");

    advance(538_000);
    expect(session.needsRefresh()).toBe(false);
    advance(3_000);
    expect(session.needsRefresh()).toBe(true);
  });

  it("sends one refresh for concurrent callers and rotates the refresh token", async () => {
    const { session, presented } = makeSession([tokens(2)]);
    session.start(tokens(1), "a");

    const results = await Promise.all([session.refresh(), session.refresh(), session.refresh()]);

    expect(results).toEqual([true, true, true]);
    expect(presented).toEqual(["refresh-1"]);
    expect(session.accessToken).toBe("access-2");
    await session.refresh().catch(() => undefined);
    expect(presented).toEqual(["refresh-1", "refresh-2"]);
  });

  it("ends the session as expired when the API refuses the refresh, keeping the account for the drafts", async () => {
    const { session, events } = makeSession(["refused"]);
    session.start(tokens(1), "m.dupont.escautpont");

    expect(await session.refresh()).toBe(false);

    expect(events).toEqual(["started", "expired"]);
    expect(session.active).toBe(false);
    expect(session.accessToken).toBeNull();
    expect(session.account).toBe("m.dupont.escautpont");
  });

  it("keeps the session when the refresh fails on the network", async () => {
    const { session, events } = makeSession([new Error("offline"), tokens(2)]);
    session.start(tokens(1), "a");

    await expect(session.refresh()).rejects.toThrow("offline");
    expect(session.active).toBe(true);
    expect(events).toEqual(["started"]);
    expect(await session.refresh()).toBe(true);
    expect(session.accessToken).toBe("access-2");
  });

  it("restores a session after a reload from the refresh token alone", async () => {
    const storage = new MemoryStore();
    const before = makeSession([], storage).session;
    before.start(tokens(1), "a");
    before.park();

    const { session, presented } = makeSession([tokens(2)], storage);
    expect(session.active).toBe(true);
    expect(session.accessToken).toBeNull();
    expect(session.needsRefresh()).toBe(true);
    expect(await session.refresh()).toBe(true);
    expect(presented).toEqual(["refresh-1"]);
  });

  it("forgets everything on sign-out", () => {
    const { session, storage, events } = makeSession([]);
    session.start(tokens(1), "a");

    session.end();

    expect(storage.items.size).toBe(0);
    expect(session.active).toBe(false);
    expect(events).toEqual(["started", "ended"]);
  });
});
