// The OpenID provider for Hindsight's SSO tests: oidc-provider (a certified implementation) with one
// confidential client and the users given in HS_OIDC_USERS. Its built-in development login form signs in
// any listed user name (the password is not checked). Test-only control routes:
//   POST /__test/users   (JSON body: the users, replacing them: change someone's groups)
//   POST /__test/clock?offset=SECONDS  (the provider's clock runs that far off: -7200 issues expired tokens)
import http from "node:http";

let offset = 0;
const realNow = Date.now;
Date.now = () => realNow() + offset * 1000;

const { default: Provider } = await import("oidc-provider");

const port = Number(process.env.HS_OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
let users = JSON.parse(process.env.HS_OIDC_USERS || "{}");

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.HS_OIDC_CLIENT_ID,
      client_secret: process.env.HS_OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.HS_OIDC_REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  pkce: { required: () => true },
  scopes: ["openid", "email", "profile", "groups"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
  conformIdTokenClaims: false,
  cookies: { keys: ["hindsight-test-cookie-key"] },
  features: { devInteractions: { enabled: true } },
  ttl: { IdToken: 3600, AccessToken: 3600 },
  async findAccount(ctx, id) {
    const user = users[id];
    if (!user) return undefined;
    return { accountId: id, async claims() { return { sub: id, email_verified: true, ...users[id] }; } };
  },
});
provider.proxy = false;

const callback = provider.callback();
http
  .createServer((req, res) => {
    if (req.url.startsWith("/__test/")) {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const url = new URL(req.url, issuer);
        if (url.pathname === "/__test/users") users = JSON.parse(body || "{}");
        if (url.pathname === "/__test/clock") offset = Number(url.searchParams.get("offset") || 0);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true, offset, users: Object.keys(users) }));
      });
      return;
    }
    callback(req, res);
  })
  .listen(port, "127.0.0.1", () => console.log(`oidc-provider listening on ${issuer}`));
