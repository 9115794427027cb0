export { TransmissionClientsPage } from "./components/TransmissionClientsPage";
