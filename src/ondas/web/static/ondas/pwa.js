/*
 * Install Ondas as an app: register the service worker the page names
 * (<meta name="ondas-service-worker">, served at the site's root so its scope
 * is the whole site). What it keeps and why: templates/ondas/pwa/service-worker.js.
 */
const meta = document.querySelector('meta[name="ondas-service-worker"]');
if (meta && "serviceWorker" in navigator) {
  navigator.serviceWorker.register(meta.content, { scope: "/" }).catch(() => {
    /* no worker (private mode, an old browser): the site works as before */
  });
}
