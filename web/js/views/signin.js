import { saveToken, signInProvider } from "../auth.js";
import { errorMessage, h } from "../dom.js";

export function renderSignIn(view, onSignedIn) {
  const provider = signInProvider();
  if (!provider.pastesToken) {
    view.append(h("h1", {}, "Sign in"), h("button", { type: "button", onclick: () => provider.start() }, "Sign in"));
    return;
  }
  const token = h("textarea", { id: "token", name: "token", required: true, autocomplete: "off" });
  const problem = h("div");
  const form = h(
    "form",
    {
      id: "sign-in",
      onsubmit: (event) => {
        event.preventDefault();
        try {
          saveToken(token.value);
          onSignedIn();
        } catch (error) {
          problem.replaceChildren(errorMessage(error));
        }
      },
    },
    h("label", {}, "Token", token),
    problem,
    h("p", {}, h("button", { type: "submit" }, "Sign in")),
  );
  view.append(
    h("h1", {}, "Sign in"),
    h(
      "div",
      { class: "card" },
      h("p", {}, "Paste a token from the local server: ", h("code", {}, "pcf serve --token reader"),
        " (or sme, auditor, admin). It is kept for this browser tab only."),
      form,
    ),
  );
}
