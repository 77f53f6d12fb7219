// A typed TypeScript client of Trastienda: signs in, then lists invoices with their department.
//
// `npm run codegen` generates the types in src/gql/ from ../../schema.graphql and the operations in
// operations/; an operation that no longer matches the schema fails there, and a changed type
// fails `tsc` where this code uses it. Plain fetch, no GraphQL runtime.
//
//   TRASTIENDA_URL=http://127.0.0.1:8080 npm start      # against `trastienda serve --demo`
//
// TRASTIENDA_EMAIL and TRASTIENDA_PASSWORD default to the demo administrator's sign-in. It exits
// non-zero when a request fails or the server lists no invoice.
import { InvoicesWithDepartmentDocument, SignInDocument, type TypedDocumentString } from './gql/graphql.js';
import persisted from './gql/persisted-documents.json' with { type: 'json' };

const base = (process.env.TRASTIENDA_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const email = process.env.TRASTIENDA_EMAIL || 'admin@demo.trastienda';
const password = process.env.TRASTIENDA_PASSWORD || 'demo-password-admin';

interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

/**
 * Sends one operation and returns its data. The text sent is the operation's persisted document
 * (codegen's persisted-documents.json, keyed by its SHA-256): exactly what an allow-list manifest
 * built from it lists.
 */
async function execute<Result, Variables>(
  document: TypedDocumentString<Result, Variables>,
  variables: Variables,
  token?: string,
): Promise<Result> {
  const hash: string | undefined = document.__meta__?.hash;
  const query = hash === undefined ? undefined : (persisted as Record<string, string>)[hash];
  if (query === undefined) {
    throw new Error('an operation without its persisted document: run `npm run codegen`');
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  if (!response.ok) {
    throw new Error(`HTTP ${response.status} from ${base}/graphql`);
  }
  const body = (await response.json()) as { data?: Result | null; errors?: GraphQLError[] };
  if (body.errors?.length) {
    const described = body.errors.map((e) => `${e.extensions?.code ?? '?'}: ${e.message}`).join('; ');
    throw new Error(`the operation failed: ${described}`);
  }
  if (!body.data) {
    throw new Error('the operation returned no data');
  }
  return body.data;
}

async function main(): Promise<void> {
  const signedIn = await execute(SignInDocument, { email, password });
  console.log(`signed in (the token lasts ${signedIn.login.expiresIn} s)`);

  const { invoices } = await execute(InvoicesWithDepartmentDocument, { first: 10 }, signedIn.login.accessToken);
  console.log(`${invoices.totalCount} invoices; the first ${invoices.nodes.length}:`);
  for (const invoice of invoices.nodes) {
    const number = (invoice.number ?? '(draft)').padEnd(18);
    const total = invoice.total.padStart(12); // a Decimal: a string, never a float
    const where = `${invoice.department.code} (${invoice.department.name})`;
    console.log(`  ${number} ${invoice.status.padEnd(15)} ${total} ${invoice.currency} ${invoice.counterparty.padEnd(28)} ${where}`);
  }
  if (invoices.nodes.length === 0) {
    throw new Error('the server listed no invoice');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
