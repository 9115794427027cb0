export { EstablishmentRegisterPage } from "./components/EstablishmentRegisterPage";
