// Starts the Scalar API reference of /api/v1/docs on the document of the same origin. A file, not
// an inline script, so the page's CSP needs no 'unsafe-inline' (SPEC §6.7); nothing is fetched
// from another origin: no web fonts, no telemetry, no proxy, no AI agent, no MCP.
window.Scalar.createApiReference('#app', {
  url: '/api/v1/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
  persistAuth: false,
  defaultOpenAllTags: true,
})
