// crane builds and edits OCI images without a container engine (none runs here); it comes from the
// Go module proxy like the control plane's binaries.
import { ensureGoTool } from "../tools/go-tool.ts";

export function ensureCrane(): Promise<string> {
  return ensureGoTool({
    name: "crane",
    pkg: "github.com/google/go-containerregistry/cmd/crane",
    version: "v0.22.1",
  });
}
