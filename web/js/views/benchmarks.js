import { get } from "../api.js";
import { drawChart } from "../charts.js";
import { h, kg, table } from "../dom.js";

function ratio(value) {
  if (value === null || value === undefined) return "–";
  return h("span", { class: value > 1.0001 ? "worse" : null }, `${value.toFixed(2)}×`);
}

export async function renderBenchmarks(view, _params, query) {
  const period = query.get("period") ? `?period=${encodeURIComponent(query.get("period"))}` : "";
  const [{ machines, same_process: sameProcess }, { sites }] = await Promise.all([
    get(`/benchmarks/machines${period}`),
    get(`/benchmarks/sites${period}`),
  ]);
  const canvas = h("canvas", { id: "machines-chart", "aria-label": "kWh per unit by machine" });
  view.append(
    h("h1", {}, "Benchmarks"),
    h("h2", {}, "Machines"),
    h("p", { class: "muted" }, `Compared with the best of ${sameProcess}.`),
    h("div", { class: "card" }, h("div", { class: "chart" }, canvas)),
    h(
      "div",
      { class: "card" },
      table(
        [
          ["Machine", (m) => m.machine_id],
          ["Site", (m) => m.site_id],
          ["Period", (m) => m.period_label],
          ["Process", (m) => m.process ?? "–"],
          ["Makes", (m) => m.items_made],
          ["kWh / unit", (m) => kg(m.kwh_per_unit), { numeric: true }],
          ["vs best", (m) => ratio(m.kwh_ratio_to_best), { numeric: true }],
          ["kg CO2e / unit", (m) => kg(m.kg_co2e_per_unit), { numeric: true }],
          ["vs best", (m) => ratio(m.kg_co2e_ratio_to_best), { numeric: true }],
          ["Peers", (m) => m.peers, { numeric: true }],
        ],
        machines,
        { id: "machine-benchmarks" },
      ),
    ),
    h("h2", {}, "Sites"),
    h(
      "div",
      { class: "card" },
      table(
        [
          ["Item", (s) => s.item_id],
          ["Site", (s) => s.site_id],
          ["Period", (s) => s.period_label],
          ["kWh / unit", (s) => kg(s.kwh_per_unit), { numeric: true }],
          ["kg CO2e / unit", (s) => kg(s.kg_co2e_per_unit), { numeric: true }],
          ["Best site", (s) => kg(s.best_kg_co2e_per_unit), { numeric: true }],
          ["vs best", (s) => ratio(s.kg_co2e_ratio_to_best), { numeric: true }],
          ["Peers", (s) => s.peers, { numeric: true }],
        ],
        sites,
        { id: "site-benchmarks" },
      ),
    ),
  );
  drawChart(
    canvas,
    "bar",
    {
      labels: machines.map((m) => `${m.machine_id} (${m.process ?? "?"}, ${m.site_id})`),
      datasets: [
        { label: "kWh per unit", data: machines.map((m) => m.kwh_per_unit), backgroundColor: "#d98c2b" },
        { label: "best of the process", data: machines.map((m) => m.best_kwh_per_unit), backgroundColor: "#1f6f5c" },
      ],
    },
    { scales: { y: { beginAtZero: true } } },
  );
}
