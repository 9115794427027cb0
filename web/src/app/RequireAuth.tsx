import { Navigate, Outlet, useLocation } from "react-router-dom";
import { Loading } from "@/components/Failure";
import { useAuth } from "@/lib/auth/context";

/** The signed-in screens. An expired session goes to sign-in and comes back here (the drafts wait on the device). */
export function RequireAuth() {
  const { status } = useAuth();
  const location = useLocation();
  const from = `${location.pathname}${location.search}`;
  if (status === "restoring") return <Loading what="de votre session" />;
  if (status === "signed-out" || status === "expired") return <Navigate to="/connexion" replace state={{ from }} />;
  if (status === "must-change-password") return <Navigate to="/mot-de-passe" replace state={{ from }} />;
  return <Outlet />;
}
