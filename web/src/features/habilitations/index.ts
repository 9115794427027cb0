export { HabilitationRequestPage } from "./components/HabilitationRequestPage";
export { HabilitationRequestsPage } from "./components/HabilitationRequestsPage";
