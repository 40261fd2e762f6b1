// Starts the ReDoc page of /api/v1/redoc on the document of the same origin. A file, not an inline
// script, so the page's CSP needs no 'unsafe-inline' (SPEC §6.7).
window.Redoc.init(
  '/api/v1/openapi.json',
  { hideDownloadButton: false, expandResponses: '200,201,202' },
  document.getElementById('redoc'),
)
