// Runtime configuration. Empty API_URL: the API is on this page's own origin (the backend serves
// the SPA). `manage.py build_spa --api-url URL` rewrites this file for a static host.
export const API_URL = "";
