// Where the API is and how people sign in. Locally: the API on the same host, and a
// token pasted from `pcf serve --token ROLE`. In the cloud the deployment replaces this
// file (S3 object) with the API's URL and the Cognito app client's hosted UI.
export const config = {
  apiBase: "",
  signIn: { kind: "local-token" },
  // signIn: { kind: "cognito", domain: "https://auth.example.com", clientId: "...",
  //           redirectUri: "https://app.example.com/app/" },
};
