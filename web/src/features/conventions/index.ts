export { ConventionsPage } from "./components/ConventionsPage";
