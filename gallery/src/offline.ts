// The offline page retries: at once when the browser says it is back online, else every few seconds.
const RETRY_MS = 5000;

async function retry() {
  try {
    const res = await fetch(location.href, { cache: "no-store" });
    if (res.ok) location.reload();
  } catch {
    // Still offline: the timer tries again.
  }
}

document.getElementById("retry")?.addEventListener("click", () => void retry());
addEventListener("online", () => void retry());
setInterval(() => void retry(), RETRY_MS);
