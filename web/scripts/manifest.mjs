// The client preset's manifest of every operation the espace professionnel sends (sha256 → document), placed
// beside the built files: the gateway can later accept only these documents (trusted documents).
import { copyFileSync } from "node:fs";

copyFileSync("src/gql/persisted-documents.json", "dist/persisted-documents.json");
