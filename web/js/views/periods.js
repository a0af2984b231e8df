import { get, post } from "../api.js";
import { hasRole } from "../auth.js";
import { errorMessage, h, table } from "../dom.js";

export async function renderPeriods(view, params, query, user, note = null) {
  view.append(h("h1", {}, "Periods"));
  if (!hasRole(user, "admin")) {
    view.append(h("p", { class: "muted" }, "Closing and reopening periods is for admins."));
    return;
  }
  const { products } = await get("/products?item_type=");
  const periods = new Map();
  for (const f of products) periods.set(`${f.site_id} ${f.period_label}`, { site_id: f.site_id, period_label: f.period_label, closed: f.period_closed });
  const message = h("div", { id: "period-message" }, note);
  const act = async (action, period, body) => {
    try {
      const status = await post(`/periods/${encodeURIComponent(period.site_id)}/${encodeURIComponent(period.period_label)}/${action}`, body);
      const done = h("p", { class: "ok" }, `${status.site_id} ${status.period_label} is ${status.closed ? "closed" : "open"}.`);
      view.replaceChildren();
      await renderPeriods(view, params, query, user, done);
    } catch (error) {
      message.replaceChildren(errorMessage(error));
    }
  };
  view.append(
    h("p", { class: "muted" }, "Closing freezes a site's period and publishes its latest footprints (PACT). Reopening allows a recalculation, whose footprints supersede the published ones."),
    message,
    h(
      "div",
      { class: "card" },
      table(
        [
          ["Site", (p) => p.site_id],
          ["Period", (p) => p.period_label],
          ["Status", (p) => h("span", { class: `badge ${p.closed ? "closed" : ""}` }, p.closed ? "closed" : "open")],
          [
            "",
            (p) =>
              p.closed
                ? reopenForm(p, (reason) => act("reopen", p, { reason }))
                : h("button", { type: "button", class: "close-period", "data-period": `${p.site_id} ${p.period_label}`, onclick: () => act("close", p) }, "Close"),
          ],
        ],
        [...periods.values()],
        { id: "periods" },
      ),
    ),
  );
}

function reopenForm(period, reopen) {
  const reason = h("input", { name: "reason", required: true, placeholder: "why", maxlength: "500" });
  return h(
    "form",
    { class: "inline", onsubmit: (event) => { event.preventDefault(); reopen(reason.value); } },
    reason,
    h("button", { type: "submit", class: "secondary" }, "Reopen"),
  );
}
