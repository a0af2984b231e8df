// The single-page app: hash routes (so the static host needs no rewrite rules) to views.
import { completeSignIn, currentUser, signOut } from "./auth.js";
import { errorMessage, h } from "./dom.js";
import { renderBenchmarks } from "./views/benchmarks.js";
import { renderHotspots } from "./views/hotspots.js";
import { renderOverview } from "./views/overview.js";
import { renderPeriods } from "./views/periods.js";
import { renderProduct } from "./views/product.js";
import { renderSignIn } from "./views/signin.js";
import { renderUpload } from "./views/upload.js";

const ROUTES = [
  [/^\/$/, renderOverview],
  [/^\/products\/([^/]+)$/, renderProduct],
  [/^\/hotspots$/, renderHotspots],
  [/^\/benchmarks$/, renderBenchmarks],
  [/^\/upload$/, renderUpload],
  [/^\/periods$/, renderPeriods],
];

async function route() {
  const view = document.getElementById("view");
  const user = currentUser();
  showUser(user);
  const [path, query = ""] = (location.hash.slice(1) || "/").split("?");
  view.replaceChildren();
  view.removeAttribute("data-ready");
  try {
    if (!user) {
      renderSignIn(view, route);
    } else {
      const match = ROUTES.map(([pattern, render]) => [path.match(pattern), render]).find(([m]) => m);
      if (!match) view.append(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Products")));
      else await match[1](view, match[0].slice(1).map(decodeURIComponent), new URLSearchParams(query), user);
    }
  } catch (error) {
    if (error.status === 401) {
      // the token expired or the server's secret changed: sign in again
      signOut();
      showUser(null);
      view.replaceChildren(errorMessage(error));
      renderSignIn(view, route);
    } else {
      view.append(errorMessage(error));
    }
  }
  // end-to-end tests wait for this: the view has drawn what it loaded
  view.setAttribute("data-ready", path);
}

function showUser(user) {
  document.getElementById("nav").hidden = !user;
  document.getElementById("sign-out").hidden = !user;
  document.getElementById("who").textContent = user ? `${user.subject} (${user.roles.join(", ")})` : "";
  for (const link of document.querySelectorAll("nav a")) {
    const needs = link.dataset.roles?.split(" ");
    link.hidden = Boolean(user && needs && !needs.some((r) => user.roles.includes(r)));
    link.classList.toggle("active", link.getAttribute("href") === location.hash.split("?")[0]);
  }
}

document.getElementById("sign-out").addEventListener("click", () => {
  signOut();
  route();
});
window.addEventListener("hashchange", route);
// Back from a sign-in page, finish it first; a failure is shown with the sign-in form.
function start() {
  completeSignIn()
    .then(route)
    .catch((error) => {
      const view = document.getElementById("view");
      route().then(() => view.prepend(errorMessage(error)));
    });
}
// Chart.js is a classic deferred script; modules run after it, but be explicit.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
