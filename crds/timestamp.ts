/** A Kubernetes timestamp (metav1.Time): RFC 3339 with second precision. */
export function rfc3339(date: Date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
