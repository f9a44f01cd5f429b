// Starts GraphiQL on Gatehouse's `GET /graphql` page. A file of its own (not
// an inline script) so the page's Content-Security-Policy can forbid inline
// scripts. Loaded after React, ReactDOM and GraphiQL (globals of their UMD
// builds), all served by Gatehouse itself: nothing comes from the internet.
(function () {
  "use strict";

  // The page is served at the GraphQL endpoint itself: POST to the same path
  // (so it keeps working behind a proxy that adds a path prefix).
  var endpoint = window.location.pathname;

  var defaultQuery = [
    "# Gatehouse. The schema: Docs (the book icon, left).",
    "#",
    "# 1. Run SignUp with your own username and a long",
    "#    passphrase, then LogIn with the same; copy the token.",
    "# 2. Under Headers (below), set",
    '#    {"Authorization": "Bearer <the token>"}',
    "# 3. Run Me.",
    "#",
    "# The run button (or Ctrl-Enter) asks which to run.",
    "",
    "mutation SignUp {",
    "  createUser(",
    '    username: "alice"',
    '    email: "alice@example.com"',
    '    password: "a long passphrase of your own"',
    "  ) {",
    "    user { id username dateJoined }",
    "  }",
    "}",
    "",
    "mutation LogIn {",
    "  tokenAuth(",
    '    username: "alice"',
    '    password: "a long passphrase of your own"',
    "  ) {",
    "    token",
    "    refreshToken",
    "    payload",
    "  }",
    "}",
    "",
    "query Me {",
    "  me { id username email dateJoined lastLogin }",
    "}",
    "",
  ].join("\n");

  // GraphQL over HTTP: one JSON POST per operation, with the headers from the
  // header editor (GraphiQL parses them and passes them as `opts.headers`).
  function fetcher(params, opts) {
    var headers = new Headers((opts && opts.headers) || {});
    headers.set("Content-Type", "application/json");
    headers.set("Accept", "application/json");
    return fetch(endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(params),
      credentials: "omit",
    }).then(function (resp) {
      return resp.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (e) {
          return { errors: [{ message: "HTTP " + resp.status + ": " + text }] };
        }
      });
    });
  }

  var root = document.getElementById("graphiql");
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      // Tokens typed into the header editor stay out of localStorage.
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
