// Types for the operations in operations/, generated from the server's schema.graphql. An operation
// that no longer matches the schema fails here; a changed type fails `tsc` where the code uses it.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['operations/*.graphql'],
  ignoreNoDocuments: false,
  // ES module imports with their `.js` extension, as Node's module resolution wants them.
  emitLegacyCommonJSImports: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        // Documents as strings: sent with plain fetch, no GraphQL runtime needed.
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        // The custom scalars as JSON carries them: decimals are strings, never floats.
        scalars: { Date: 'string', DateTime: 'string', Decimal: 'string', JSON: 'unknown' },
        strictScalars: true,
      },
      presetConfig: {
        fragmentMasking: false,
        // persisted-documents.json: {"<sha256>": "<document as sent>"}, the allow-list's format.
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
    },
  },
};

export default config;
