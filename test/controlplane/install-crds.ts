import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const crdDir = fileURLToPath(new URL("../../crds/", import.meta.url));

/**
 * Installs crds/*.yaml exactly as a user would (kubectl apply), and waits until they are served.
 * kubectl rather than client-node: its typed serializer drops the schema's `default` keywords.
 */
export async function installCrds(kubectl: string, kubeconfig: string, timeoutSeconds = 60) {
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  await run(kubectl, ["apply", "--server-side", "--field-manager=aria-local", "-f", crdDir], { env });
  await run(
    kubectl,
    [
      "wait",
      "--for=condition=Established",
      `--timeout=${timeoutSeconds}s`,
      "crd",
      "-l",
      "app.kubernetes.io/part-of=aria",
    ],
    { env },
  );
}
