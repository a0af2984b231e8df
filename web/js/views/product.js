import { ApiError, get, post } from "../api.js";
import { hasRole } from "../auth.js";
import { categoryColour, drawChart } from "../charts.js";
import { errorMessage, h, kg, percent, table } from "../dom.js";

export async function renderProduct(view, [itemId], query, user) {
  const { footprints } = await get(`/products/${encodeURIComponent(itemId)}/footprints`);
  view.append(h("h1", {}, `Product ${itemId}`));
  if (!footprints.length) {
    view.append(h("p", { class: "muted" }, "No footprints for this product."));
    return;
  }
  const sites = [...new Set(footprints.map((f) => f.site_id))];
  const siteId = sites.includes(query.get("site")) ? query.get("site") : sites[0];
  const atSite = footprints.filter((f) => f.site_id === siteId);
  const latest = atSite[atSite.length - 1];
  const breakdown = await get(`/footprints/${latest.footprint_id}`);

  const siteLinks = sites.map((s) =>
    s === siteId ? h("strong", {}, s) : h("a", { href: `#/products/${encodeURIComponent(itemId)}?site=${encodeURIComponent(s)}` }, s),
  );
  const breakdownCanvas = h("canvas", { id: "breakdown-chart", "aria-label": "Breakdown by category" });
  const trendCanvas = h("canvas", { id: "trend-chart", "aria-label": "Footprint over periods" });
  view.append(
    h("p", {}, "Site: ", siteLinks.flatMap((link, i) => (i ? [" · ", link] : [link]))),
    h(
      "div",
      { class: "card" },
      h("span", { class: "big", id: "total" }, kg(breakdown.total_kg_co2e, 4)),
      ` kg CO2e per ${breakdown.declared_unit}, ${breakdown.period_label}`,
      breakdown.period_closed ? h("span", { class: "badge closed" }, " closed") : null,
      h("div", { class: "muted" }, `Primary data ${percent(breakdown.primary_data_share)}; `,
        breakdown.complete ? "complete" : "incomplete", `; footprint ${breakdown.footprint_id}, run ${breakdown.run_id}`),
      breakdown.notes.length ? h("ul", {}, breakdown.notes.map((n) => h("li", {}, n))) : null,
    ),
    h(
      "div",
      { class: "grid" },
      h("div", { class: "card" }, h("h2", {}, "Breakdown"), h("div", { class: "chart" }, breakdownCanvas)),
      h("div", { class: "card" }, h("h2", {}, "Over periods"), h("div", { class: "chart" }, trendCanvas)),
    ),
    h(
      "div",
      { class: "card" },
      h("h2", {}, "By source"),
      table(
        [
          ["Category", (s) => s.category.replace("_", " ")],
          ["Source", (s) => s.source_id],
          ["Machine", (s) => s.machine_id ?? "–"],
          ["Amount per unit", (s) => `${kg(s.amount, 4)} ${s.amount_unit}`, { numeric: true }],
          ["kg CO2e", (s) => kg(s.kg_co2e, 4), { numeric: true }],
        ],
        [...breakdown.by_source].sort((a, b) => b.kg_co2e - a.kg_co2e),
        { id: "sources" },
      ),
    ),
    whatIfCard(breakdown),
  );
  const categories = Object.keys(breakdown.by_category);
  drawChart(breakdownCanvas, "doughnut", {
    labels: categories.map((c) => c.replace("_", " ")),
    datasets: [{ data: categories.map((c) => breakdown.by_category[c]), backgroundColor: categories.map(categoryColour) }],
  });
  drawChart(
    trendCanvas,
    "line",
    {
      labels: atSite.map((f) => f.period_label),
      datasets: [{ label: `kg CO2e per ${latest.declared_unit}`, data: atSite.map((f) => f.total_kg_co2e), borderColor: "#1f6f5c", backgroundColor: "#1f6f5c" }],
    },
    { scales: { y: { beginAtZero: true } } },
  );
  if (hasRole(user, "auditor")) view.append(await auditCard(breakdown.footprint_id));
  else view.append(h("p", { class: "muted" }, "The audit trail is for auditors and admins."));
}

function whatIfCard(breakdown) {
  const grid = h("input", { id: "what-if-grid", name: "grid", type: "number", step: "any", min: "0" });
  const contract = h("input", { id: "what-if-contract", name: "contract", type: "number", step: "any", min: "0" });
  const result = h("div", { id: "what-if-result" });
  const form = h(
    "form",
    {
      id: "what-if",
      class: "inline",
      onsubmit: async (event) => {
        event.preventDefault();
        const request = {};
        if (grid.value !== "") request.grid_kg_co2e_per_kwh = Number(grid.value);
        if (contract.value !== "") request.contract = { kg_co2e_per_kwh: Number(contract.value) };
        result.replaceChildren(h("span", { class: "muted" }, "Calculating…"));
        try {
          const answer = await post(`/footprints/${breakdown.footprint_id}/what-if`, request);
          const sign = answer.difference_kg_co2e > 0 ? "+" : "";
          result.replaceChildren(
            h("span", { class: "big", id: "what-if-total" }, kg(answer.what_if.total_kg_co2e, 4)),
            ` kg CO2e (stored ${kg(answer.stored.total_kg_co2e, 4)}, `,
            h("span", { id: "what-if-difference" }, `${sign}${kg(answer.difference_kg_co2e, 4)}`),
            "). Not stored.",
          );
        } catch (error) {
          result.replaceChildren(errorMessage(error));
        }
      },
    },
    h("label", {}, "Grid factor, kg CO2e/kWh", grid),
    h("label", {}, "Contract factor, kg CO2e/kWh", contract),
    h("button", { type: "submit" }, "Recalculate"),
  );
  return h("div", { class: "card" }, h("h2", {}, "What if"), form, result);
}

async function auditCard(footprintId) {
  let audit;
  try {
    audit = await get(`/footprints/${footprintId}/audit`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return h("p", { class: "muted" }, error.message);
    throw error;
  }
  const record = audit.record;
  const inputs = record.inputs ?? {};
  return h(
    "div",
    { class: "card", id: "audit" },
    h("h2", {}, "Audit trail"),
    h(
      "p",
      {},
      audit.reproduces
        ? h("span", { class: "ok", id: "reproduces" }, "Recomputing from this record gives the stored result exactly.")
        : h("span", { class: "error", id: "reproduces" }, `Does not reproduce: ${audit.differences_on_recompute.join("; ")}`),
    ),
    h("p", { class: "muted" }, `Record ${audit.sequence} in the chain; hash `, h("span", { class: "hash" }, audit.record_hash),
      "; previous ", h("span", { class: "hash" }, audit.previous_hash)),
    h("h2", {}, "Meter totals"),
    table(
      [
        ["Meter", (t) => t.meter_id],
        ["Quantity", (t) => t.quantity],
        ["Total", (t) => `${t.total} ${t.unit}`, { numeric: true }],
        ["Windows", (t) => t.windows_received, { numeric: true }],
        ["Covered", (t) => percent(t.period_seconds ? t.seconds_covered / t.period_seconds : null), { numeric: true }],
        ["Windows hash", (t) => h("span", { class: "hash" }, t.windows_hash.slice(0, 16) + "…")],
      ],
      record.telemetry ?? [],
      { id: "meter-totals" },
    ),
    h("h2", {}, "Dataset versions"),
    table(
      [
        ["Data set", ([kind]) => kind],
        ["Version", ([, v]) => v.version, { numeric: true }],
        ["File", ([, v]) => v.file_name],
        ["SHA-256", ([, v]) => h("span", { class: "hash" }, v.sha256.slice(0, 16) + "…")],
      ],
      Object.entries(record.dataset_versions ?? {}),
      { id: "dataset-versions" },
    ),
    h("h2", {}, "Emission factors used"),
    table(
      [
        ["Factor", (r) => r.factor_id],
        ["kg CO2e", (r) => r.co2e_kg ?? "(per gas)", { numeric: true }],
        ["Per", (r) => r.per_unit],
        ["GWP set", (r) => r.co2e_gwp_set ?? "–"],
        ["Version", (r) => r.dataset_version],
        ["Source", (r) => r.source],
      ],
      rowsOf(inputs.emission_factors),
      { id: "factor-versions" },
    ),
    h("h2", {}, "Supplier footprints used"),
    table(
      [
        ["Item", (r) => r.item_id],
        ["Supplier", (r) => r.supplier],
        ["kg CO2e", (r) => r.co2e_kg, { numeric: true }],
        ["Per", (r) => r.per_unit],
        ["Primary data", (r) => percent(r.primary_data_share), { numeric: true }],
        ["Version", (r) => r.dataset_version],
      ],
      rowsOf(inputs.supplier_footprints),
    ),
    h("details", {}, h("summary", {}, "The whole record (JSON)"), h("pre", { class: "hash" }, JSON.stringify(record, null, 1))),
  );
}

/** Rows of a column-wise table in the audit record ({column: [values]}). */
function rowsOf(columns) {
  if (!columns) return [];
  const names = Object.keys(columns);
  const length = names.length ? columns[names[0]].length : 0;
  return Array.from({ length }, (_, i) => Object.fromEntries(names.map((n) => [n, columns[n][i]])));
}
