// Who is signed in: the bearer token the API checks, kept for the browser tab only.
//
// The seam: `signInProviders[config.signIn.kind]`. "local-token" takes a token issued by
// `pcf serve --token ROLE`. "cognito" is the cloud's: send the user to the hosted UI
// (authorization code + PKCE) and, back at `redirectUri`, exchange the code for tokens;
// the claims (`sub`, `roles` / `cognito:groups`) are the same, so nothing else changes.
import { config } from "./config.js";

const STORAGE_KEY = "pcf.token";

export function currentToken() {
  const token = sessionStorage.getItem(STORAGE_KEY);
  if (!token) return null;
  const claims = readClaims(token);
  if (!claims || (claims.exp && claims.exp * 1000 <= Date.now())) {
    sessionStorage.removeItem(STORAGE_KEY);
    return null;
  }
  return token;
}

export function saveToken(token) {
  const claims = readClaims(token.trim());
  if (!claims) throw new Error("that is not a token (expected header.payload.signature)");
  if (claims.exp && claims.exp * 1000 <= Date.now()) throw new Error("that token has expired");
  sessionStorage.setItem(STORAGE_KEY, token.trim());
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** The token's subject and roles, for the page only: the API verifies the signature. */
export function currentUser() {
  const token = currentToken();
  const claims = token && readClaims(token);
  if (!claims) return null;
  const roles = claims.roles ?? claims["cognito:groups"] ?? [];
  return { subject: claims.sub, roles: Array.isArray(roles) ? roles : String(roles).split(/[ ,]+/) };
}

export function hasRole(user, ...roles) {
  return Boolean(user) && (user.roles.includes("admin") || roles.some((r) => user.roles.includes(r)));
}

export const signInProviders = {
  "local-token": { pastesToken: true, start: null },
  cognito: {
    pastesToken: false,
    start() {
      // TODO(cloud): redirect to `${domain}/oauth2/authorize` with PKCE, then exchange the
      // code at `${domain}/oauth2/token` on return and call saveToken(id_token).
      throw new Error("Cognito sign-in is not wired up in this build");
    },
  },
};

export function signInProvider() {
  return signInProviders[config.signIn.kind] ?? signInProviders["local-token"];
}

function readClaims(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "=")));
  } catch {
    return null;
  }
}
