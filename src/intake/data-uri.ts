export interface DecodedDataUri {
  mediaType: string;
  bytes: Buffer;
}

export class DataUriError extends Error {
  override name = "DataUriError";
}

/**
 * Decodes an RFC 2397 data: URI. Node's fetch also decodes data: URIs, but it accepts malformed base64
 * silently; a brief's attachment must be committed byte for byte, so malformed input is an error here.
 */
export function decodeDataUri(uri: string): DecodedDataUri {
  const match = /^data:([^,]*),(.*)$/is.exec(uri);
  if (!match) throw new DataUriError("not a data: URI (expected data:[<type>][;base64],<data>)");
  const meta = match[1]!.split(";").map((p) => p.trim());
  const isBase64 = meta.length > 1 && meta[meta.length - 1]!.toLowerCase() === "base64";
  const mediaType = (meta[0] || "text/plain").toLowerCase();
  const data = match[2]!;
  if (isBase64) {
    const compact = decodeURIComponentSafe(data).replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.replace(/=+$/, "").length % 4 === 1) {
      throw new DataUriError("invalid base64 data");
    }
    return { mediaType, bytes: Buffer.from(compact, compact.includes("-") || compact.includes("_") ? "base64url" : "base64") };
  }
  return { mediaType, bytes: Buffer.from(decodeURIComponentSafe(data), "utf8") };
}

function decodeURIComponentSafe(data: string): string {
  try {
    return decodeURIComponent(data);
  } catch {
    throw new DataUriError("invalid percent-encoding");
  }
}
