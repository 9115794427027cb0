export { ReviewQueuePage } from "./components/ReviewQueuePage";
