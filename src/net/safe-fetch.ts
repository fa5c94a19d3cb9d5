import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import ipaddr from "ipaddr.js";
import { Agent, fetch as undiciFetch } from "undici";

/** Is this address one the app must never reach on a stranger's behalf (loopback, private, link-local, ...)? */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() !== "unicast";
}

export class BlockedAddressError extends Error {
  override name = "BlockedAddressError";
  readonly code = "EBLOCKED";
}

/**
 * An undici dispatcher whose DNS lookup refuses private, loopback and link-local addresses, so a brief's
 * URLs (attachments, evaluation_url) cannot reach the network the app runs in. The check runs on the
 * resolved address at connect time, which also defeats DNS rebinding between check and use.
 */
export function createSafeDispatcher(resolve: typeof dnsLookup = dnsLookup): Agent {
  return new Agent({
    connect: {
      lookup(hostname, options, callback) {
        resolve(hostname, { ...options, all: true }, (error, addresses) => {
          if (error) return callback(error, "", 4);
          const list = addresses as unknown as LookupAddress[];
          const blocked = list.find((a) => isPrivateAddress(a.address));
          if (blocked) {
            return callback(new BlockedAddressError(`${hostname} resolves to a private address; refused`), "", 4);
          }
          const first = list[0]!;
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
          callback(null, first.address, first.family);
        });
      },
    },
  });
}

export type FetchLike = (url: string, init?: RequestInit & { signal?: AbortSignal }) => Promise<Response>;

/**
 * fetch for URLs that come from briefs. With allowPrivate (local demo, tests on loopback) it is the global
 * fetch; otherwise requests go through the filtering dispatcher, and IP-literal hosts are checked up front.
 */
export function createSafeFetch(options: { allowPrivate: boolean; resolve?: typeof dnsLookup }): FetchLike {
  if (options.allowPrivate) return (url, init) => fetch(url, init);
  const dispatcher = createSafeDispatcher(options.resolve);
  return async (url, init) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (ipaddr.isValid(host) && isPrivateAddress(host)) throw new BlockedAddressError(`${host} is a private address; refused`);
    if (host === "localhost" || host.endsWith(".localhost")) throw new BlockedAddressError(`${host} is a private address; refused`);
    return undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Response;
  };
}
