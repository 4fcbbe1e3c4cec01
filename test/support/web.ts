import type { FastifyInstance, LightMyRequestResponse } from "fastify";

const FORM = "application/x-www-form-urlencoded";

/** The `_csrf` value of the first form of a page. */
export function csrfTokenOf(html: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
}

/**
 * A browser for tests, over `http.inject`: it keeps its cookies (session, CSRF secret,
 * language) and puts the CSRF token in every form it posts, as a page's form would.
 */
export class WebClient {
  readonly cookies = new Map<string, string>();
  private token: string | undefined;

  private readonly http: FastifyInstance;
  private readonly headers: Record<string, string>;
  private readonly remoteAddress: string | undefined;

  /** `remoteAddress`: the client's address (127.0.0.1 unless told), as limits per address see it. */
  constructor(
    http: FastifyInstance,
    headers: Record<string, string> = {},
    options: { remoteAddress?: string } = {},
  ) {
    this.http = http;
    this.headers = headers;
    this.remoteAddress = options.remoteAddress;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private keep(response: LightMyRequestResponse): LightMyRequestResponse {
    const set = response.headers["set-cookie"];
    for (const line of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const response = this.keep(
      await this.http.inject({
        method: "GET",
        url,
        headers: { accept: "text/html", ...this.headers, cookie: this.cookieHeader, ...headers },
        remoteAddress: this.remoteAddress,
      }),
    );
    this.token = csrfTokenOf(response.body) ?? this.token;
    return response;
  }

  /** A CSRF token of this client's secret (fetched from the log-in page the first time). */
  async csrfToken(): Promise<string> {
    if (!this.token || !this.cookies.has("sdp_csrf")) {
      this.token = undefined;
      await this.get("/login");
    }
    if (!this.token) throw new Error("no CSRF token found on /login");
    return this.token;
  }

  /** Posts a form as the page would: with the CSRF token unless `withoutToken`. */
  async post(
    url: string,
    fields: Record<string, string | string[]> = {},
    options: { withoutToken?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
    }
    if (!options.withoutToken && !body.has("_csrf")) body.set("_csrf", await this.csrfToken());
    return this.keep(
      await this.http.inject({
        method: "POST",
        url,
        headers: {
          "content-type": FORM,
          accept: "text/html",
          ...this.headers,
          cookie: this.cookieHeader,
          ...options.headers,
        },
        payload: body.toString(),
        remoteAddress: this.remoteAddress,
      }),
    );
  }

  /**
   * Posts a multipart form as a browser does (`enctype="multipart/form-data"`): every field,
   * the CSRF token unless `withoutToken`, and files (a file input left empty is sent as an
   * empty part, as browsers do, when `files` names it with no bytes).
   */
  async postMultipart(
    url: string,
    fields: Record<string, string | string[]> = {},
    files: Record<string, { bytes: Buffer; type?: string; name?: string }> = {},
    options: { withoutToken?: boolean } = {},
  ): Promise<LightMyRequestResponse> {
    const form = new FormData();
    if (!options.withoutToken && !("_csrf" in fields)) form.append("_csrf", await this.csrfToken());
    for (const [name, value] of Object.entries(fields)) {
      for (const one of Array.isArray(value) ? value : [value]) form.append(name, one);
    }
    for (const [name, file] of Object.entries(files)) {
      const blob = new Blob([new Uint8Array(file.bytes)], {
        type: file.type ?? "application/octet-stream",
      });
      form.append(name, blob, file.name ?? "");
    }
    const encoded = new Response(form);
    return this.keep(
      await this.http.inject({
        method: "POST",
        url,
        headers: {
          "content-type": encoded.headers.get("content-type") as string,
          accept: "text/html",
          ...this.headers,
          cookie: this.cookieHeader,
        },
        payload: Buffer.from(await encoded.arrayBuffer()),
      }),
    );
  }

  /** Logs in through the form; throws unless the log-in succeeded. */
  async login(username: string, password: string): Promise<this> {
    const response = await this.post("/login", { username, password, next: "/home" });
    if (response.statusCode !== 303) {
      throw new Error(`log-in as ${username} failed: ${response.statusCode} ${response.body}`);
    }
    return this;
  }
}

/**
 * A server in another process, as a `WebClient` sees one: `inject` sends the request over
 * real HTTP to `baseUrl` (redirects not followed) and answers what `http.inject` would.
 */
export function remoteHttp(baseUrl: string): FastifyInstance {
  const inject = async (options: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    payload?: string | Buffer;
  }) => {
    const response = await fetch(new URL(options.url, baseUrl), {
      method: options.method,
      headers: options.headers,
      body:
        options.payload === undefined ? undefined : new Uint8Array(Buffer.from(options.payload)),
      redirect: "manual",
    });
    const headers: Record<string, string | string[]> = Object.fromEntries(response.headers);
    headers["set-cookie"] = response.headers.getSetCookie();
    return { statusCode: response.status, headers, body: await response.text() };
  };
  return { inject } as unknown as FastifyInstance;
}
