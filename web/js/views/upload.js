import { get, uploadFile } from "../api.js";
import { errorMessage, h, table } from "../dom.js";

export async function renderUpload(view) {
  const { datasets } = await get("/datasets");
  const kind = h("select", { id: "upload-kind", name: "kind" }, datasets.map((d) => h("option", { value: d.kind }, d.title)));
  const file = h("input", { id: "upload-file", name: "file", type: "file", accept: ".csv,.xlsx", required: true });
  const result = h("div", { id: "upload-result" });
  view.append(
    h("h1", {}, "Upload a data set"),
    h(
      "form",
      {
        id: "upload",
        class: "inline card",
        onsubmit: async (event) => {
          event.preventDefault();
          if (!file.files.length) return;
          result.replaceChildren(h("p", { class: "muted" }, "Uploading and validating…"));
          try {
            result.replaceChildren(uploadResult(await uploadFile(kind.value, file.files[0])));
          } catch (error) {
            result.replaceChildren(errorMessage(error));
          }
        },
      },
      h("label", {}, "Kind", kind),
      h("label", {}, "File (CSV or XLSX)", file),
      h("button", { type: "submit" }, "Upload"),
    ),
    result,
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Data sets"),
      table(
        [
          ["Kind", (d) => d.kind],
          ["What", (d) => d.description],
          ["Versions", (d) => d.versions.length, { numeric: true }],
          ["Latest", (d) => (d.versions.length ? `v${d.versions.at(-1).version}, ${d.versions.at(-1).row_count} rows` : "–")],
        ],
        datasets,
        { id: "datasets" },
      ),
    ),
  );
}

function uploadResult(upload) {
  if (upload.status === "accepted") {
    return h("p", { class: "ok card", id: "upload-status" }, `${upload.file_name} accepted as ${upload.kind} version ${upload.dataset_version}.`);
  }
  return h(
    "div",
    { class: "card" },
    h("p", { class: "error", id: "upload-status" }, `${upload.file_name} ${upload.status}: ${upload.errors.length} problem(s). Nothing was loaded.`),
    table(
      [
        ["Row", (e) => e.row ?? "file", { numeric: true }],
        ["Column", (e) => e.column ?? "–"],
        ["Value", (e) => (e.value === null ? "–" : h("code", {}, e.value))],
        ["Problem", (e) => e.reason],
      ],
      upload.errors,
      { id: "upload-errors" },
    ),
    h("p", { class: "muted" }, "Rows are spreadsheet rows: the header is row 1."),
  );
}
