import { graphql } from "@/gql";

// Fragments more than one feature selects (features may not import each other; they share these through lib).

// A provider agent's submission as the home page and the operating-info form show it: its state, the Caf's reasons.
export const SubmissionSummaryFragment = graphql(`
  fragment SubmissionSummary on Submission {
    id
    status
    statusLabel
    version
    submittedAt
    establishment {
      id
    }
    reasons {
      code
      label
    }
    comment
  }
`);
