/** What the admin panels share: the Temporal UI link of a thred. */
const TEMPORAL_UI_PORT = 8233;
export function temporalUrl(thredId: string, namespace = 'default'): string {
  return `${location.protocol}//${location.hostname}:${TEMPORAL_UI_PORT}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(thredId)}`;
}
