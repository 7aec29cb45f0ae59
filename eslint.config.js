import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers (docs/architecture.md): cli → commands → migration → api; ui presents what migration emits; model is
// shared by all; sandbox is a separate server; notify (the notification publisher) serves both the CLI and the
// sandbox. Arrows point one way; these rules make a wrong one a lint error,
// for static imports and for the lazy `await import()` the commands use.
function layer(dir, forbidden, why, { files = [`src/${dir}/**/*.ts`], ignores = [], modules = [] } = {}) {
  const patterns = forbidden.map((d) => `**/${d}/**`).concat(forbidden.map((d) => `../${d}/*`), modules.map((m) => `**/${m}`));
  const dynamic = new RegExp(`^(\\.\\./)+(${forbidden.join('|')})/`).source;
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: patterns, message: why }] }],
      'no-restricted-syntax': ['error', { selector: `ImportExpression[source.value=/${dynamic}/]`, message: why }],
    },
  };
}

const CLI = ['cli.js'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'completions/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  layer('model', ['api', 'migration', 'ui', 'commands', 'config', 'sandbox', 'notify'], 'src/model is the shared vocabulary: it imports no other layer.'),
  layer('api', ['migration', 'ui', 'commands', 'sandbox'], 'src/api speaks HTTP only: it never imports the domain, the presenters or the commands.'),
  layer('migration', ['ui', 'commands', 'sandbox'], 'src/migration emits events and results: presenting them is src/ui\'s job, wiring is src/commands\'.'),
  layer('ui', ['api', 'commands', 'sandbox'], 'src/ui renders what the domain emits: it never calls the API.'),
  layer('config', ['migration', 'ui', 'commands', 'sandbox'], 'src/config resolves settings and clouds: it never imports the domain or the presenters.'),
  layer('sandbox', ['api', 'migration', 'ui', 'commands', 'config'], 'src/sandbox is a separate server: it shares only src/model (and the notification publisher).', {
    ignores: ['src/sandbox/main.ts'],
    modules: ['cli.js'],
  }),
  layer('notify', ['api', 'migration', 'ui', 'commands', 'config', 'sandbox'], 'src/notify publishes notifications for the CLI and the sandbox alike: it imports nothing but src/model.', {
    modules: ['cli.js', 'errors.js', 'io.js'],
  }),
  // The standalone entry launches the CLI's `volmig sandbox`, so it is the one sandbox file that may import cli.ts.
  layer('sandbox', ['api', 'migration', 'ui', 'commands', 'config'], 'src/sandbox/main.ts only launches the CLI.', { files: ['src/sandbox/main.ts'] }),
  {
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: CLI.map((p) => ({ name: `../${p}`, message: 'commands import ./context.js, never src/cli.ts' })) }],
    },
  },
);
