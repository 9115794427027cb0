export { OperatingInfoPage } from "./components/OperatingInfoPage";
