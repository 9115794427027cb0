/** What the page learns from its gateway at start-up (`/config.json`) rather than have built in. */
export interface PageConfig {
  /** The moderation service's GraphQL URL (another origin), or null when the gateway knows none. */
  moderationUrl: string | null;
}

export async function loadConfig(fetchFn: typeof fetch = (...args) => fetch(...args)): Promise<PageConfig> {
  try {
    const response = await fetchFn("/config.json", { headers: { accept: "application/json" } });
    if (!response.ok) return { moderationUrl: null };
    const body = (await response.json()) as Partial<PageConfig>;
    return { moderationUrl: typeof body.moderationUrl === "string" ? body.moderationUrl : null };
  } catch {
    return { moderationUrl: null };
  }
}
