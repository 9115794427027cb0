export { CafHomePage } from "./components/CafHomePage";
