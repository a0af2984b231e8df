// Who is signed in: the bearer token the API checks, kept for the browser tab only.
//
// The seam: `signInProviders[config.signIn.kind]`. "local-token" takes a token issued by
// `pcf serve --token ROLE`. "cognito" is the cloud's (config.js written by the
// deployment): send the user to the hosted UI (authorization code + PKCE) and, back at
// `redirectUri`, `completeSignIn` exchanges the code for tokens;
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
    // To the hosted UI: authorization code with PKCE (RFC 7636); back at redirectUri,
    // completeSignIn() exchanges the code.
    async start() {
      const { domain, clientId, redirectUri } = config.signIn;
      const verifier = randomText(48);
      const state = randomText(16);
      sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
      const query = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: "openid email",
        state,
        code_challenge_method: "S256",
        code_challenge: base64Url(new Uint8Array(digest)),
      });
      location.assign(`${domain}/oauth2/authorize?${query}`);
    },
  },
};

const PKCE_KEY = "pcf.pkce";

/** Back from the hosted UI (`?code=...&state=...`): exchange the code for tokens and keep
 * the ID token (its `cognito:groups` are the roles). Nothing to do otherwise. */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (config.signIn.kind !== "cognito" || !params.has("code")) return;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname + location.hash);
  if (!saved || saved.state !== params.get("state")) throw new Error("sign-in answer does not match this tab's request");
  const { domain, clientId, redirectUri } = config.signIn;
  const response = await fetch(`${domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: clientId,
      code: params.get("code"),
      redirect_uri: redirectUri,
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await response.json();
  if (!response.ok) throw new Error(`sign-in failed: ${tokens.error ?? response.status}`);
  saveToken(tokens.id_token);
}

function randomText(bytes) {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

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
