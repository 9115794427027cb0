export { ConnectionLogPage } from "./components/ConnectionLogPage";
