// The client preset's manifests of every operation the espace professionnel sends (sha256 → document), one per
// service, placed beside the built files: each service can later accept only its own documents (trusted documents).
import { copyFileSync } from "node:fs";

copyFileSync("src/gql/persisted-documents.json", "dist/persisted-documents.json");
copyFileSync("src/gql-moderation/persisted-documents.json", "dist/persisted-documents.moderation.json");
