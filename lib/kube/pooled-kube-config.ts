// client-node builds a fresh https.Agent for every API call, so each call pays a new TCP and TLS
// handshake: under a burst of writes that handshake, not the API server, was most of a call's
// latency and much of the operator's CPU. This KubeConfig keeps one keep-alive agent for as long
// as the TLS material it was built from stays the same (rotated client certificates get a new one).
// It also gives every such call a deadline: client-node sets none, and a frozen API server accepts
// a request and never answers it, which would hang a heartbeat or a status write for good.
import { setMaxListeners } from "node:events";
import { Agent } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

type RequestContext = Parameters<KubeConfig["applySecurityAuthentication"]>[0];

/** Idle connections are closed after this long; the API server keeps them open far longer. */
const IDLE_SOCKET_MS = 30_000;
/** A call (not a watch: client-node's Watch does not come through here) fails after this long. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Calls begun within this long of each other share one deadline signal. */
const DEADLINE_SHARING_MS = 1_000;

export class PooledKubeConfig extends KubeConfig {
  private pooled?: { key: string; agent: Agent };
  private deadline?: { startedAt: number; signal: AbortSignal };

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (!context.getSignal()) context.setSignal(this.sharedDeadline());
    const fresh = context.getAgent();
    // Proxy agents (a subclass) and plain-HTTP agents are left as client-node made them.
    if (fresh?.constructor !== Agent) return;
    const options = (fresh as Agent).options;
    const key = [
      options.ca,
      options.cert,
      options.key,
      options.pfx,
      options.servername,
      options.rejectUnauthorized,
    ]
      .map(String)
      .join("\0");
    if (this.pooled?.key !== key) {
      this.pooled?.agent.destroy();
      this.pooled = { key, agent: new Agent({ ...options, keepAlive: true, timeout: IDLE_SOCKET_MS }) };
    }
    context.setAgent(this.pooled.agent);
  }

  /**
   * A signal that aborts REQUEST_TIMEOUT_MS (less up to a second) from now. A signal of its own per
   * call kept every call's signal and timer alive for the whole timeout after the call had ended:
   * under a burst of writes that was ~25 MB of the operator's memory. Calls begun in the same second
   * share one instead; each removes its listener when it completes.
   */
  private sharedDeadline(): AbortSignal {
    const now = Date.now();
    if (!this.deadline || now - this.deadline.startedAt >= DEADLINE_SHARING_MS) {
      const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      // Every call of that second listens to it at once: not the leak the warning is meant for.
      setMaxListeners(0, signal);
      this.deadline = { startedAt: now, signal };
    }
    return this.deadline.signal;
  }
}

/** The kubeconfig of the environment ($KUBECONFIG, ~/.kube/config or in-cluster), with pooled connections. */
export function loadKubeConfig(): KubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromDefault();
  return kc;
}
