export { ChangePasswordPage } from "./components/ChangePasswordPage";
export { ResetPasswordPage } from "./components/ResetPasswordPage";
export { SignInPage } from "./components/SignInPage";
export { LogoutMutation } from "./api/operations";
