export { AvailabilitiesPage } from "./components/AvailabilitiesPage";
