// Building the page: elements from data, never HTML strings (no injection, CSP-clean).

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function kg(value, digits = 3) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

export function percent(share) {
  return share === null || share === undefined ? "–" : `${(share * 100).toFixed(1)} %`;
}

/** A table: columns are [heading, row => cell, {numeric}]. */
export function table(columns, rows, attributes = {}) {
  return h(
    "table",
    attributes,
    h("thead", {}, h("tr", {}, columns.map(([title, , o]) => h("th", { class: o?.numeric ? "num" : null }, title)))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h("tr", {}, columns.map(([, cell, o]) => h("td", { class: o?.numeric ? "num" : null }, cell(row)))),
      ),
    ),
  );
}

export function errorMessage(error) {
  return h("p", { class: "error", role: "alert" }, error.message ?? String(error));
}
