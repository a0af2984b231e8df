// The footprint API (pcf/api/routes.py, pcf/api/footprints.py): JSON in, JSON out, the
// bearer token on every call. Errors carry the API's own message.
import { config } from "./config.js";
import { currentToken } from "./auth.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(config.apiBase + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiError(response.status, data?.message ?? `${method} ${path}: ${response.status}`);
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body);

/** Upload a file: ask for an upload, PUT the bytes to its pre-signed URL, read the result. */
export async function uploadFile(kind, file) {
  const bytes = await file.arrayBuffer();
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const created = await post("/uploads", {
    kind,
    file_name: file.name,
    size_bytes: bytes.byteLength,
    sha256,
  });
  if (created.upload_url) {
    const put = await fetch(created.upload_url, { method: "PUT", body: bytes });
    if (!put.ok) throw new ApiError(put.status, (await put.text()).trim());
  }
  return get(`/uploads/${encodeURIComponent(created.upload.upload_id)}`);
}
