export interface SubmissionLike {
  submittedAt: string;
  establishment?: { id: string } | null;
}

/** Each establishment's most recent submission (the API lists them most recent first, but order is not trusted). */
export function latestByEstablishment<T extends SubmissionLike>(submissions: readonly T[]): Map<string, T> {
  const latest = new Map<string, T>();
  for (const submission of submissions) {
    const id = submission.establishment?.id;
    if (!id) continue;
    const known = latest.get(id);
    if (!known || Date.parse(submission.submittedAt) > Date.parse(known.submittedAt)) latest.set(id, submission);
  }
  return latest;
}
