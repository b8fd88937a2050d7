// The tests' git remote is the same smart-HTTP server that `slipway demo` embeds (one copy of the
// CGI glue): `git http-backend` per request, push enabled, optional token (HTTP Basic) auth.
export { startGitHttpServer as startGitServer, type GitHttpServer as GitServer } from '../../src/git/http-server.ts';
