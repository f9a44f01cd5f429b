// Starts GraphiQL on Gatehouse's `GET /graphql` page. A file of its own (not
// an inline script) so the page's Content-Security-Policy can forbid inline
// scripts. Loaded after React, ReactDOM and GraphiQL (globals of their UMD
// builds), all served by Gatehouse itself: nothing comes from the internet.
(function () {
  "use strict";

  // The page is served at the GraphQL endpoint itself: POST to the same path
  // (so it keeps working behind a proxy that adds a path prefix).
  var endpoint = window.location.pathname;

  // The examples take their values from the Variables editor, so a password
  // is never typed into the query document.
  var defaultQuery = [
    "# Gatehouse. The schema: Docs (the book icon, left).",
    "#",
    "# 1. Under Variables (below), fill in your own username,",
    "#    email and a long passphrase.",
    "# 2. Run SignUp, then LogIn; copy the token.",
    "# 3. Under Headers, set",
    '#    {"Authorization": "Bearer <the token>"}',
    "# 4. Run Me.",
    "#",
    "# The run button (or Ctrl-Enter) asks which to run. Nothing you type",
    "# here is stored in the browser: reloading the page forgets it.",
    "",
    "mutation SignUp($username: String!, $email: String!, $password: String!) {",
    "  createUser(username: $username, email: $email, password: $password) {",
    "    user { id username dateJoined }",
    "  }",
    "}",
    "",
    "mutation LogIn($username: String!, $password: String!) {",
    "  tokenAuth(username: $username, password: $password) {",
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

  var defaultVariables = JSON.stringify(
    { username: "alice", email: "alice@example.com", password: "" },
    null,
    2
  );

  // GraphiQL keeps its tabs (queries, variables, headers), history and
  // settings in the Storage it is given, by default localStorage, where they
  // would outlive the page (passwords typed into a document or the Variables
  // editor, tokens in results). This one lives only as long as the page.
  function memoryStorage() {
    var items = new Map();
    return {
      getItem: function (key) {
        return items.has(key) ? items.get(key) : null;
      },
      setItem: function (key, value) {
        items.set(key, String(value));
      },
      removeItem: function (key) {
        items.delete(key);
      },
      clear: function () {
        items.clear();
      },
      key: function (i) {
        return Array.from(items.keys())[i] || null;
      },
      get length() {
        return items.size;
      },
    };
  }

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
      variables: defaultVariables,
      storage: memoryStorage(),
      isHeadersEditorEnabled: true,
      // Tokens typed into the header editor are not kept in any storage.
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "variables",
    })
  );
})();
