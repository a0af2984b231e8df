// Charts through Chart.js (web/vendor, window.Chart). Animation off: the numbers are
// the point, and screenshots are stable.
const PALETTE = ["#1f6f5c", "#3b82c4", "#d98c2b", "#9b59b6", "#c0392b", "#7f8c8d"];
const CATEGORY_COLOURS = {
  materials: "#1f6f5c",
  purchased_parts: "#3b82c4",
  electricity: "#d98c2b",
  natural_gas: "#9b59b6",
};

export function categoryColour(category, index = 0) {
  return CATEGORY_COLOURS[category] ?? PALETTE[index % PALETTE.length];
}

export function drawChart(canvas, type, data, options = {}) {
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, {
    type,
    data,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...options },
  });
}
