import { get } from "../api.js";
import { categoryColour, drawChart } from "../charts.js";
import { h, kg, percent, table } from "../dom.js";

const CATEGORIES = ["materials", "purchased_parts", "electricity", "natural_gas"];

export async function renderOverview(view) {
  const { products } = await get("/products");
  view.append(h("h1", {}, "Products and their latest footprints"));
  if (!products.length) {
    view.append(h("p", { class: "muted" }, "No footprints yet: load data sets and calculate a period."));
    return;
  }
  const canvas = h("canvas", { id: "overview-chart", "aria-label": "Footprints by category" });
  view.append(
    h("div", { class: "card" }, h("div", { class: "chart" }, canvas)),
    h(
      "div",
      { class: "card" },
      table(
        [
          ["Product", (p) => h("a", { href: `#/products/${encodeURIComponent(p.item_id)}?site=${encodeURIComponent(p.site_id)}` }, p.item_id)],
          ["Site", (p) => p.site_id],
          ["Period", (p) => [p.period_label, " ", h("span", { class: `badge ${p.period_closed ? "closed" : ""}` }, p.period_closed ? "closed" : "open")]],
          ["kg CO2e / unit", (p) => kg(p.total_kg_co2e), { numeric: true }],
          ["Unit", (p) => p.declared_unit],
          ["Primary data", (p) => percent(p.primary_data_share), { numeric: true }],
          ["Complete", (p) => (p.complete ? "yes" : "no")],
        ],
        products,
        { id: "products" },
      ),
    ),
  );
  drawChart(
    canvas,
    "bar",
    {
      labels: products.map((p) => `${p.item_id} @ ${p.site_id} ${p.period_label}`),
      datasets: CATEGORIES.map((c, i) => ({
        label: c.replace("_", " "),
        data: products.map((p) => p[`${c}_kg_co2e`]),
        backgroundColor: categoryColour(c, i),
      })),
    },
    { indexAxis: "y", scales: { x: { stacked: true, title: { display: true, text: "kg CO2e per unit" } }, y: { stacked: true } } },
  );
}
