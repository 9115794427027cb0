export { AmendmentPage } from "./components/AmendmentPage";
