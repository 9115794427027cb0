import { graphql } from "@/gql";

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      session {
        accessToken
        refreshToken
        expiresIn
        mustChangePassword
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      session {
        accessToken
        refreshToken
        expiresIn
        mustChangePassword
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const CreateChallengeMutation = graphql(`
  mutation CreateResetChallenge {
    createChallenge(input: { purpose: PASSWORD_RESET }) {
      challenge {
        id
        image
        audioDataUrl
        expiresAt
      }
    }
  }
`);

export const RequestPasswordResetMutation = graphql(`
  mutation RequestPasswordReset($input: RequestPasswordResetInput!) {
    requestPasswordReset(input: $input) {
      message
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout {
      ok
    }
  }
`);

export const PasswordCheckQuery = graphql(`
  query PasswordCheck($password: String!) {
    passwordCheck(password: $password) {
      acceptable
      problems {
        field
        code
        message
      }
    }
  }
`);
