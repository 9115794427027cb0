import { graphql } from "@/gql-moderation";

export const ReviewQueueQuery = graphql(`
  query ReviewQueue($filter: QueueFilterInput, $flaggedFirst: Boolean!) {
    reviewQueue(filter: $filter, flaggedFirst: $flaggedFirst, first: 100) {
      totalCount
      edges {
        node {
          id
          rowVersion
          departement
          categoryLabel
          establishment {
            id
            name
          }
          version
          submittedAt
          submittedBy
          claimedBy
          claimExpiresAt
          flags {
            severity
          }
        }
      }
    }
    queueDepth {
      pending
      flagged
      oldestSubmittedAt
    }
  }
`);

export const ReviewItemQuery = graphql(`
  query ReviewItem($id: ID!) {
    reviewItem(id: $id) {
      id
      rowVersion
      status
      statusLabel
      departement
      establishment {
        id
        name
      }
      submissionId
      version
      submittedAt
      submittedBy
      claimedBy
      claimExpiresAt
      flags {
        category
        categoryLabel
        field
        fieldLabel
        excerpt
        severity
        severityLabel
      }
      changes {
        field
        label
        published
        proposed
        base
        conflict
      }
      reasons {
        code
        label
      }
      comment
      history(first: 50) {
        edges {
          node {
            action
            actionLabel
            agentNumber
            at
            note
          }
        }
      }
    }
    refusalReasons {
      code
      label
    }
  }
`);

// What each decision answers: the item's new state (its version for the next step) and refusals.
export const DecisionOutcomeFragment = graphql(`
  fragment DecisionOutcome on DecisionPayload {
    item {
      id
      rowVersion
      status
      statusLabel
      claimedBy
      claimExpiresAt
    }
    userErrors {
      field
      code
      message
    }
  }
`);

export const ClaimMutation = graphql(`
  mutation ClaimReviewItem($id: ID!, $rowVersion: Int!) {
    claimReviewItem(id: $id, rowVersion: $rowVersion) {
      ...DecisionOutcome
    }
  }
`);

export const ReleaseMutation = graphql(`
  mutation ReleaseReviewItem($id: ID!, $rowVersion: Int!) {
    releaseReviewItem(id: $id, rowVersion: $rowVersion) {
      ...DecisionOutcome
    }
  }
`);

export const ApproveMutation = graphql(`
  mutation ApproveReviewItem($id: ID!, $rowVersion: Int!) {
    approveReviewItem(id: $id, rowVersion: $rowVersion) {
      ...DecisionOutcome
    }
  }
`);

export const RejectMutation = graphql(`
  mutation RejectReviewItem($id: ID!, $rowVersion: Int!, $reasons: [RefusalReason!]!, $comment: String) {
    rejectReviewItem(id: $id, rowVersion: $rowVersion, reasons: $reasons, comment: $comment) {
      ...DecisionOutcome
    }
  }
`);

export const BulkApproveMutation = graphql(`
  mutation BulkApproveUnflagged($ids: [ID!]!) {
    bulkApproveUnflagged(ids: $ids) {
      approved
      skipped
      userErrors {
        field
        code
        message
      }
    }
  }
`);
