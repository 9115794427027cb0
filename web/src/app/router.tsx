import { createBrowserRouter } from "react-router-dom";
import { AccountPage } from "@/features/account";
import { AmendmentPage } from "@/features/amendments";
import { ChangePasswordPage, ResetPasswordPage, SignInPage } from "@/features/auth";
import { AvailabilitiesPage } from "@/features/availabilities";
import { HistoryPage } from "@/features/history";
import { ConnectionLogPage } from "@/features/connection-log";
import { ConventionsPage } from "@/features/conventions";
import { EstablishmentRegisterPage } from "@/features/establishment-register";
import { HabilitationRequestPage, HabilitationRequestsPage } from "@/features/habilitations";
import { IntegratorsPage } from "@/features/integrators";
import { OperatingInfoPage } from "@/features/operating-info";
import { ReviewQueuePage } from "@/features/review-queue";
import { TransmissionClientsPage } from "@/features/transmission-clients";
import { Layout } from "./Layout";
import { RequireAuth } from "./RequireAuth";
import { AccessibilityStatement } from "./routes/AccessibilityStatement";
import { Home } from "./routes/Home";
import { NotFound } from "./routes/NotFound";

/** French paths: they are what an agent sees and shares. The gateway answers index.html for each. */
export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: "/connexion", element: <SignInPage /> },
      { path: "/mot-de-passe-oublie", element: <ResetPasswordPage /> },
      { path: "/mot-de-passe", element: <ChangePasswordPage /> },
      { path: "/accessibilite", element: <AccessibilityStatement /> },
      {
        element: <RequireAuth />,
        children: [
          { path: "/", element: <Home /> },
          { path: "/file", element: <ReviewQueuePage /> },
          { path: "/habilitations", element: <HabilitationRequestsPage /> },
          { path: "/habilitations/:number", element: <HabilitationRequestPage /> },
          { path: "/habilitations/:number/avenant", element: <AmendmentPage /> },
          { path: "/conventions", element: <ConventionsPage /> },
          { path: "/journal", element: <ConnectionLogPage /> },
          { path: "/integrateurs", element: <IntegratorsPage /> },
          { path: "/registre", element: <EstablishmentRegisterPage /> },
          { path: "/disponibilites", element: <AvailabilitiesPage /> },
          { path: "/modalites", element: <OperatingInfoPage /> },
          { path: "/historique", element: <HistoryPage /> },
          { path: "/logiciels", element: <TransmissionClientsPage /> },
          { path: "/compte", element: <AccountPage /> },
        ],
      },
      { path: "*", element: <NotFound /> },
    ],
  },
]);
