import { get } from "../api.js";
import { categoryColour, drawChart } from "../charts.js";
import { h, kg, percent, table } from "../dom.js";

export async function renderHotspots(view, _params, query) {
  const filter = new URLSearchParams();
  for (const name of ["site_id", "period"]) if (query.get(name)) filter.set(name, query.get(name));
  const { hotspots } = await get(`/hotspots?${filter}`);
  const site = h("input", { name: "site_id", value: query.get("site_id") ?? "", placeholder: "all sites" });
  const period = h("input", { name: "period", value: query.get("period") ?? "", placeholder: "YYYY-MM", pattern: "\\d{4}-\\d{2}" });
  const canvas = h("canvas", { id: "hotspots-chart", "aria-label": "Hotspots" });
  view.append(
    h("h1", {}, "Hotspots"),
    h(
      "form",
      {
        class: "inline card",
        onsubmit: (event) => {
          event.preventDefault();
          const next = new URLSearchParams();
          if (site.value) next.set("site_id", site.value);
          if (period.value) next.set("period", period.value);
          location.hash = `#/hotspots?${next}`;
        },
      },
      h("label", {}, "Site", site),
      h("label", {}, "Period", period),
      h("button", { type: "submit" }, "Show"),
    ),
    h("div", { class: "card" }, h("div", { class: "chart" }, canvas)),
    h(
      "div",
      { class: "card" },
      table(
        [
          ["Source", (s) => s.source_id],
          ["Category", (s) => s.category.replace("_", " ")],
          ["Machine", (s) => s.machine_id ?? "–"],
          ["kg CO2e over the period", (s) => kg(s.period_kg_co2e, 1), { numeric: true }],
          ["Share", (s) => percent(s.share), { numeric: true }],
          ["Products", (s) => s.products.join(", ")],
        ],
        hotspots,
        { id: "hotspots" },
      ),
    ),
  );
  drawChart(
    canvas,
    "bar",
    {
      labels: hotspots.map((s) => s.source_id),
      datasets: [{ label: "kg CO2e over the period", data: hotspots.map((s) => s.period_kg_co2e), backgroundColor: hotspots.map((s, i) => categoryColour(s.category, i)) }],
    },
    { indexAxis: "y", plugins: { legend: { display: false } } },
  );
}
