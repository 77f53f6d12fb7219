// Starts GraphiQL against this server's /graphql. A file, not an inline <script>: the page's
// Content-Security-Policy runs scripts from this server only.
(function () {
  'use strict';
  var defaultQuery = [
    '# Trastienda GraphiQL',
    '#',
    '# Sign in (Variables: {"email": "...", "password": "..."}), then put the access token in the',
    '# Headers tab: {"Authorization": "Bearer <accessToken>"}',
    'mutation SignIn($email: String!, $password: String!) {',
    '  login(email: $email, password: $password) {',
    '    accessToken',
    '    expiresIn',
    '  }',
    '}',
    ''
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: true,
      // Tokens typed into the Headers tab stay in this tab, never in the browser's storage.
      shouldPersistHeaders: false
    })
  );
})();
