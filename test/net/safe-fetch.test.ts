import { createServer, type Server } from "node:http";
import { createSafeFetch, isPrivateAddress } from "../../src/net/safe-fetch.js";

describe("isPrivateAddress", () => {
  test.each(["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "100.64.0.1", "not-an-ip"])(
    "%s is refused",
    (address) => expect(isPrivateAddress(address)).toBe(true),
  );
  test.each(["8.8.8.8", "140.82.112.3", "2606:4700:4700::1111"])("%s is public", (address) => expect(isPrivateAddress(address)).toBe(false));
});

describe("createSafeFetch", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end("inside"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  test("asks the resolver for host names and passes its errors on", async () => {
    let asked = "";
    const resolve = ((host: string, _options: unknown, callback: (e: Error) => void) => {
      asked = host;
      callback(Object.assign(new Error("no DNS in this test"), { code: "ENOTFOUND" }));
    }) as unknown as typeof import("node:dns").lookup;
    await expect(createSafeFetch({ allowPrivate: false, resolve })("http://public.example/")).rejects.toMatchObject({
      cause: expect.objectContaining({ code: "ENOTFOUND" }),
    });
    expect(asked).toBe("public.example");
  });

  test("reaches a loopback server when private addresses are allowed (the local demo)", async () => {
    const res = await createSafeFetch({ allowPrivate: true })(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("inside");
  });

  test.each([
    (p: number) => `http://127.0.0.1:${p}/`,
    (p: number) => `http://[::1]:${p}/`,
    (p: number) => `http://localhost:${p}/`,
    () => "http://169.254.169.254/latest/meta-data/",
  ])("refuses an IP literal or localhost URL before connecting (%#)", async (make) => {
    await expect(createSafeFetch({ allowPrivate: false })(make(port))).rejects.toThrow(/private address; refused/);
  });

  test("refuses a host name that resolves to a private address, at connect time", async () => {
    // A resolver that sends an innocent-looking name to loopback, as a rebinding attacker's DNS would.
    const resolve = ((_host: string, _options: unknown, callback: (e: null, a: { address: string; family: number }[]) => void) =>
      callback(null, [{ address: "127.0.0.1", family: 4 }])) as unknown as typeof import("node:dns").lookup;
    await expect(createSafeFetch({ allowPrivate: false, resolve })(`http://attacker.example:${port}/`)).rejects.toMatchObject({
      cause: expect.objectContaining({ message: expect.stringMatching(/resolves to a private address/) }),
    });
  });
});
