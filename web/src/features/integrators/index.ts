export { IntegratorsPage } from "./components/IntegratorsPage";
