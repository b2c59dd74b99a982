// Nothing Ferry-specific: the node-server preset (Nuxt's default) builds .output/server/index.mjs, and Ferry's
// launcher gives the app its base URL (/{service}/{stage}/) at start.
export default defineNuxtConfig({
  compatibilityDate: '2026-01-01',
  devtools: { enabled: false },
  telemetry: false,
  css: ['~/assets/main.css'],
})
