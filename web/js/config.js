// Where the API is and how people sign in. Locally: the API on the same host, and a
// token pasted from `pcf serve --token ROLE`. In the cloud the deployment (stacks/web.py)
// replaces this file with the API behind the same CloudFront host (apiBase "/api") and
// the Cognito hosted UI's domain, the web app client's id and the redirect URI.
export const config = {
  apiBase: "",
  signIn: { kind: "local-token" },
  // signIn: { kind: "cognito", domain: "https://auth.example.com", clientId: "...",
  //           redirectUri: "https://app.example.com/app/" },
};
